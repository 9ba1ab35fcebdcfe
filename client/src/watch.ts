// Snapshot-then-subscribe with no gap: join the owner's broadcast channel
// first, and read the current rows each time it (re)joins. Every change made
// after the join arrives as a broadcast; every change made before it, or
// while the socket was down, is in the read. The tracker drops whichever of
// the two is older.
import { JobNotFoundError, PgpodError } from "./errors.ts";
import { joinFeed } from "./feed.ts";
import { readJobs, toJob, type PgpodSchema } from "./jobs.ts";
import { StateTracker } from "./tracker.ts";
import type { JobStatus, JobView, SupabaseClientLike, Unsubscribe } from "./types.ts";

export type WatchTarget = { jobId: string } | { endpoint?: string; statuses?: readonly JobStatus[] };

export interface WatchHooks {
  onChange(job: JobView): void;
  onError(error: Error): void;
}

// A failed read is tried again after these delays (then every last one) while the watch lasts.
const rereadDelaysMs = [500, 1000, 2000, 5000];
// PostgREST answers at most max_rows (1000 on Supabase) rows per read.
const idsPerRead = 100;

export function watchJobs(supabase: SupabaseClientLike, db: PgpodSchema, target: WatchTarget, hooks: WatchHooks, signal?: AbortSignal): Unsubscribe {
  let stopped = false;
  let leave: (() => void) | null = null;
  let retry: ReturnType<typeof setTimeout> | null = null;
  let failures = 0;

  const single = "jobId" in target ? target.jobId : null;
  const filter = "jobId" in target ? null : target;
  const statuses = filter?.statuses ? new Set(filter.statuses) : null;
  const relevant = (job: JobView) =>
    single !== null ? job.id === single : filter?.endpoint === undefined || job.endpoint === filter.endpoint;
  const tracker = new StateTracker<JobView>(
    (job) => statuses === null || statuses.has(job.status),
    (job) => stopped || hooks.onChange(job),
  );
  const report = (error: Error) => stopped || hooks.onError(error);

  async function read(): Promise<void> {
    if (retry) clearTimeout(retry);
    retry = null;
    try {
      const found = single !== null ? await readJobs(db, { ids: [single] }) : await readFiltered();
      if (stopped) return;
      failures = 0;
      if (single !== null && found.length === 0) {
        report(new JobNotFoundError(`pgpod: job ${single} not found`));
        return;
      }
      // oldest first, so a list fills in the order jobs changed
      for (const job of found.reverse()) if (relevant(job)) tracker.offer(job);
    } catch (error) {
      if (stopped) return;
      report(error instanceof Error ? error : new PgpodError("request_failed", String(error)));
      retry = setTimeout(read, rereadDelaysMs[Math.min(failures++, rereadDelaysMs.length - 1)]);
    }
  }

  // The jobs matching now, and the ones that matched before: they may have left the filter unseen.
  async function readFiltered(): Promise<JobView[]> {
    const matching = await readJobs(db, { endpoint: filter?.endpoint, statuses: filter?.statuses });
    const seen = new Set(matching.map((job) => job.id));
    const missing = tracker.matchedIds().filter((id) => !seen.has(id));
    const earlier: JobView[] = [];
    for (let i = 0; i < missing.length; i += idsPerRead) earlier.push(...(await readJobs(db, { ids: missing.slice(i, i + idsPerRead) })));
    return [...matching, ...earlier];
  }

  const stop = () => {
    if (stopped) return;
    stopped = true;
    if (retry) clearTimeout(retry);
    signal?.removeEventListener("abort", stop);
    leave?.();
  };

  if (signal?.aborted) return () => {};
  signal?.addEventListener("abort", stop, { once: true });
  joinFeed(supabase, {
    change(record) {
      const job = toJob(record);
      if (stopped || !relevant(job)) return;
      try {
        tracker.offer(job);
      } catch (error) {
        report(error as Error);
      }
    },
    deleted(jobId) {
      if (!stopped && jobId === single) report(new JobNotFoundError(`pgpod: job ${single} was deleted`));
    },
    subscribed: () => void read(),
    error: report,
  }).then(
    (leaveFeed) => (stopped ? leaveFeed() : (leave = leaveFeed)),
    (error: Error) => report(error),
  );
  return stop;
}
