// Each demo user watches their jobs the way the README shows: the client
// SDK's watch on their supabase-js client, signed in through Auth, which
// follows the private Broadcast topic pgpod:jobs:<user id>.
// What they saw decides whether the demo passes: every owner must see the
// final state of each of their jobs, and nobody may see anyone else's.
import { pgpod } from "@pgpod/client";
import type { Status } from "./progress.ts";
import type { TrackedJob } from "./traffic.ts";
import type { DemoUser } from "./users.ts";

interface Sighting {
  status: Status;
  /** When the broadcast arrived (ms since the epoch). */
  at: number;
}

export interface RealtimeWatch {
  /** Per job: each state its owner's channel reported, in order. */
  seen: Map<string, Sighting[]>;
  /** Jobs a user was sent that belong to someone else. */
  foreign: Array<{ user: DemoUser; jobId: string; ownerId: string | null }>;
  /** What the watches could not do (a refused channel, a failed read). */
  errors: Array<{ user: DemoUser; message: string }>;
  stop(): Promise<void>;
}

/** Starts a watch of each user's jobs; the SDK reads what happened before its channel joined. */
export function watchJobs(users: DemoUser[]): RealtimeWatch {
  const watch: RealtimeWatch = { seen: new Map(), foreign: [], errors: [], stop: async () => {} };
  const stops = users.map((user) =>
    pgpod(user.client).watch({}, (job) => {
      if (job.owner_id !== user.id) {
        watch.foreign.push({ user, jobId: job.id, ownerId: job.owner_id });
        return;
      }
      const sightings = watch.seen.get(job.id) ?? [];
      sightings.push({ status: job.status, at: Date.now() });
      watch.seen.set(job.id, sightings);
    }, { onError: (error) => watch.errors.push({ user, message: error.message }) })
  );
  watch.stop = async () => {
    for (const stop of stops) stop();
    for (const { client } of users) {
      await client.removeAllChannels();
      client.realtime.disconnect();
    }
  };
  return watch;
}

/** When each job's owner first saw it in `finalStatus`, the state the database ended it in. */
export function finalSightings(watch: RealtimeWatch, finalStatus: Map<string, Status>): Map<string, number> {
  const at = new Map<string, number>();
  for (const [jobId, status] of finalStatus) {
    const seen = watch.seen.get(jobId)?.find((s) => s.status === status);
    if (seen) at.set(jobId, seen.at);
  }
  return at;
}

/** Waits (up to graceMs) for the owners to see the final states the database already has. */
export async function settle(watch: RealtimeWatch, finalStatus: Map<string, Status>, graceMs: number): Promise<Map<string, number>> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const seen = finalSightings(watch, finalStatus);
    if (seen.size === finalStatus.size || Date.now() > deadline) return seen;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Jobs whose owner never saw their final state, and every job a user was sent that was not theirs. */
export function watchProblems(watch: RealtimeWatch, jobs: TrackedJob[], finalStatus: Map<string, Status>, seen: Map<string, number>): string[] {
  const problems: string[] = [];
  for (const job of jobs) {
    const status = finalStatus.get(job.id);
    if (status && !seen.has(job.id)) problems.push(`${job.id} ${job.endpoint} (${job.user.name}): its owner never saw it ${status}`);
  }
  for (const f of watch.foreign) problems.push(`${f.jobId}: sent to ${f.user.name}, but it belongs to ${f.ownerId}`);
  for (const e of watch.errors) problems.push(`${e.user.name}'s watch: ${e.message}`);
  return problems;
}
