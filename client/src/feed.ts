// The signed-in user's job broadcasts: one private channel per user and
// supabase-js client, shared by every watch (supabase-js keeps one channel per
// topic, so two owners of it would unsubscribe each other). Listeners hear
// each broadcast job and each (re)join; after a rejoin they read again what
// they may have missed while the socket was down.
import type { RealtimeChannel } from "@supabase/supabase-js";
import { NotSignedInError, SubscriptionRefusedError } from "./errors.ts";
import type { SupabaseClientLike } from "./types.ts";

export interface FeedListener {
  /** A job's record from an INSERT or UPDATE broadcast. */
  change(record: Record<string, unknown>): void;
  /** The id of a deleted job. */
  deleted(jobId: string): void;
  /** The channel joined, first or again after a reconnect. */
  subscribed(): void;
  error(error: Error): void;
}

interface Feed {
  topic: string;
  listeners: Set<FeedListener>;
  channel: RealtimeChannel | null;
  subscribed: boolean;
  closing: Promise<unknown> | null;
  reopen: ReturnType<typeof setTimeout> | null;
}

/** The Realtime topic pgpod broadcasts a user's jobs on (see the pgpod_realtime migration). */
export const jobsTopic = (ownerId: string) => `pgpod:jobs:${ownerId}`;

// After the server closes a channel (an expired token does that), wait this long before joining it again.
const reopenDelayMs = 1000;

const feeds = new WeakMap<object, Map<string, Feed>>();

/** Joins the user's feed; resolves with the function that leaves it. */
export async function joinFeed(supabase: SupabaseClientLike, listener: FeedListener): Promise<() => void> {
  // Private channels are authorized by the token a join carries; without this
  // the first join may go out before supabase-js knows the session.
  await supabase.realtime.setAuth();
  const owner = signedInUser(supabase.realtime.accessTokenValue);
  let byOwner = feeds.get(supabase);
  if (!byOwner) feeds.set(supabase, (byOwner = new Map()));
  let feed = byOwner.get(owner);
  while (feed?.closing) {
    await feed.closing;
    feed = byOwner.get(owner);
  }
  if (!feed) {
    feed = { topic: jobsTopic(owner), listeners: new Set(), channel: null, subscribed: false, closing: null, reopen: null };
    byOwner.set(owner, feed);
    open(supabase, feed);
  }
  const joined = feed;
  joined.listeners.add(listener);
  if (joined.subscribed) queueMicrotask(() => joined.listeners.has(listener) && listener.subscribed());
  return () => {
    if (!joined.listeners.delete(listener) || joined.listeners.size > 0) return;
    if (joined.reopen) clearTimeout(joined.reopen);
    const channel = joined.channel;
    joined.channel = null;
    joined.subscribed = false;
    joined.closing = (channel ? supabase.removeChannel(channel).catch(() => undefined) : Promise.resolve()).finally(() => {
      if (byOwner.get(owner) === joined) byOwner.delete(owner);
    });
  };
}

function open(supabase: SupabaseClientLike, feed: Feed): void {
  const channel = supabase.channel(feed.topic, { config: { private: true } });
  feed.channel = channel;
  channel
    .on("broadcast", { event: "*" }, (message: { payload?: { record?: unknown; old_record?: unknown } }) => {
      const { record, old_record: old } = message.payload ?? {};
      if (record && typeof record === "object") {
        for (const listener of [...feed.listeners]) listener.change(record as Record<string, unknown>);
      } else if (old && typeof old === "object" && typeof (old as { id?: unknown }).id === "string") {
        for (const listener of [...feed.listeners]) listener.deleted((old as { id: string }).id);
      }
    })
    .subscribe((status, error) => {
      if (feed.channel !== channel) return;
      if (status === "SUBSCRIBED") {
        feed.subscribed = true;
        for (const listener of [...feed.listeners]) listener.subscribed();
        return;
      }
      feed.subscribed = false;
      const refusal = refusalReason(error);
      if (refusal) for (const listener of [...feed.listeners]) listener.error(new SubscriptionRefusedError(refusal, { cause: error }));
      // A channel the server closed is not rejoined by supabase-js: join a new one.
      if (status === "CLOSED" && feed.listeners.size > 0) {
        feed.channel = null;
        feed.reopen = setTimeout(() => {
          feed.reopen = null;
          if (feed.listeners.size === 0 || feed.closing) return;
          void supabase.realtime.setAuth().then(() => open(supabase, feed), (cause) => {
            for (const listener of [...feed.listeners]) listener.error(cause instanceof Error ? cause : new Error(String(cause)));
          });
        }, reopenDelayMs);
      }
    });
}

/** The server's reason when it answered the join with an error (not a lost connection). */
function refusalReason(error: Error | undefined): string | null {
  const cause = error?.cause;
  if (!cause || typeof cause !== "object" || !("reason" in cause)) return null;
  const { reason } = cause as { reason: unknown };
  return typeof reason === "string" && !("code" in cause) ? reason : null;
}

/** The user id in a Supabase access token; the anon key and no token mean nobody is signed in. */
export function signedInUser(token: string | null): string {
  const claims = token ? decodeClaims(token) : null;
  if (!claims || typeof claims.sub !== "string" || claims.sub === "" || claims.role === "anon") throw new NotSignedInError();
  return claims.sub;
}

function decodeClaims(token: string): Record<string, unknown> | null {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === "object" ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
