// The states a watch has seen, per job: a state is reported only when it is
// newer than the one held, so repeated and reordered deliveries (a broadcast
// and a read of the same change, a stale read that lost a race) are dropped.
import { microseconds } from "./order.ts";

export interface TrackedJob {
  id: string;
  updated_at: string;
}

export class StateTracker<J extends TrackedJob> {
  private readonly held = new Map<string, { at: number; matched: boolean }>();

  constructor(
    private readonly matches: (job: J) => boolean,
    private readonly report: (job: J) => void,
  ) {}

  /**
   * Reports the job when it is newer than what is held and matches, or when
   * it is the first state that no longer matches (so a list can drop it).
   */
  offer(job: J): void {
    const at = microseconds(job.updated_at);
    const held = this.held.get(job.id);
    if (held && at <= held.at) return;
    const matched = this.matches(job);
    this.held.set(job.id, { at, matched });
    if (matched || held?.matched) this.report(job);
  }

  /** Jobs whose latest state matched: a re-read must look at them too, in case they changed while unseen. */
  matchedIds(): string[] {
    return [...this.held].filter(([, state]) => state.matched).map(([id]) => id);
  }
}
