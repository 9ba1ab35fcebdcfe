// Waiting for a job is watching it until it ends: the watch's first read
// finds a job that already ended, and its re-read after a reconnect finds
// one that ended while the socket was down.
import {
  AbortedError,
  JobCancelledError,
  JobFailedError,
  JobNotFoundError,
  NotSignedInError,
  SubscriptionRefusedError,
  WaitTimeoutError,
} from "./errors.ts";
import type { PgpodSchema } from "./jobs.ts";
import type { JobView, SupabaseClientLike, WaitOptions } from "./types.ts";
import { watchJobs } from "./watch.ts";

/** Errors that waiting longer cannot mend; anything else (a failed read, a lost socket) is retried. */
const fatal = [JobNotFoundError, NotSignedInError, SubscriptionRefusedError];

export function waitForJob(supabase: SupabaseClientLike, db: PgpodSchema, jobId: string, options: WaitOptions = {}): Promise<JobView> {
  const { signal, timeoutMs } = options;
  return new Promise<JobView>((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError(signal.reason));
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", aborted);
      stop();
      outcome();
    };
    const aborted = () => finish(() => reject(new AbortedError(signal?.reason)));
    const stop = watchJobs(supabase, db, { jobId }, {
      onChange(job) {
        if (job.status === "succeeded") finish(() => resolve(job));
        else if (job.status === "failed") finish(() => reject(new JobFailedError(job)));
        else if (job.status === "cancelled") finish(() => reject(new JobCancelledError(job)));
      },
      onError(error) {
        if (fatal.some((kind) => error instanceof kind)) finish(() => reject(error));
      },
    });
    signal?.addEventListener("abort", aborted, { once: true });
    if (timeoutMs !== undefined) timer = setTimeout(() => finish(() => reject(new WaitTimeoutError(jobId, timeoutMs))), timeoutMs);
  });
}
