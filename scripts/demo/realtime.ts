// Each demo user watches their jobs the way the README shows: their
// supabase-js client, signed in through Auth, on the private Broadcast topic
// pgpod:jobs:<user id>.
// What they saw decides whether the demo passes: every owner must see the
// final state of each of their jobs, and nobody may see anyone else's.
import type { RealtimeChannel } from "@supabase/supabase-js";
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
  foreign: Array<{ user: DemoUser; jobId: string; ownerId: string }>;
  stop(): Promise<void>;
}

function joined(channel: RealtimeChannel): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.subscribe((status, error) => {
      if (status === "SUBSCRIBED") resolve();
      else reject(new Error(`could not watch ${channel.topic}: ${error?.message ?? status}`));
    });
  });
}

/** Subscribes every user to their own job topic; resolves once all have joined. */
export async function watchJobs(users: DemoUser[]): Promise<RealtimeWatch> {
  const watch: RealtimeWatch = { seen: new Map(), foreign: [], stop: async () => {} };
  const clients = users.map((user) => ({ user, client: user.client }));
  watch.stop = async () => {
    for (const { client } of clients) {
      await client.removeAllChannels();
      client.realtime.disconnect();
    }
  };
  try {
    await Promise.all(
      clients.map(async ({ user, client }) => {
        // A private join needs the user's token, which the client sets asynchronously.
        await client.realtime.setAuth();
        const channel = client
          .channel(`pgpod:jobs:${user.id}`, { config: { private: true } })
          .on("broadcast", { event: "*" }, ({ payload }) => {
            const job = (payload.record ?? payload.old_record) as { id: string; owner_id: string; status: Status } | null;
            if (!job) return;
            if (job.owner_id !== user.id) {
              watch.foreign.push({ user, jobId: job.id, ownerId: job.owner_id });
            } else if (payload.record) {
              const sightings = watch.seen.get(job.id) ?? [];
              sightings.push({ status: job.status, at: Date.now() });
              watch.seen.set(job.id, sightings);
            }
          });
        await joined(channel);
      }),
    );
  } catch (error) {
    await watch.stop();
    throw error;
  }
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
  return problems;
}
