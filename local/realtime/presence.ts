// Presence per topic, shaped like Phoenix Presence: a key maps to its metas,
// each with a unique phx_ref; changes go out as presence_diff {joins, leaves}.
import { randomBytes } from "node:crypto";

export type Meta = Record<string, unknown> & { phx_ref: string };
export type PresenceMap = Record<string, { metas: Meta[] }>;
export interface PresenceDiff {
  joins: PresenceMap;
  leaves: PresenceMap;
}

/** Who holds each meta: a channel tracks at most one meta under its key. */
interface Entry<Owner> {
  owner: Owner;
  key: string;
  meta: Meta;
}

export class PresenceTopic<Owner> {
  private entries: Entry<Owner>[] = [];

  state(): PresenceMap {
    const map: PresenceMap = {};
    for (const { key, meta } of this.entries) (map[key] ??= { metas: [] }).metas.push(meta);
    return map;
  }

  track(owner: Owner, key: string, payload: Record<string, unknown>): PresenceDiff {
    const previous = this.entries.find((e) => e.owner === owner);
    const meta: Meta = { ...payload, phx_ref: randomBytes(8).toString("base64url") };
    if (previous) meta.phx_ref_prev = previous.meta.phx_ref;
    const diff: PresenceDiff = { joins: { [key]: { metas: [meta] } }, leaves: {} };
    if (previous) {
      diff.leaves[previous.key] = { metas: [previous.meta] };
      previous.key = key;
      previous.meta = meta;
    } else {
      this.entries.push({ owner, key, meta });
    }
    return diff;
  }

  untrack(owner: Owner): PresenceDiff | undefined {
    const previous = this.entries.find((e) => e.owner === owner);
    if (!previous) return undefined;
    this.entries = this.entries.filter((e) => e !== previous);
    return { joins: {}, leaves: { [previous.key]: { metas: [previous.meta] } } };
  }

  get empty(): boolean {
    return this.entries.length === 0;
  }
}
