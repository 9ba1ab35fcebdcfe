// pgpod(supabase): the SDK's entry point, binding each operation to the
// app's supabase-js client and endpoint types.
import { archiveJobs } from "./archive.ts";
import { fileUrls } from "./files.ts";
import { callJobFunction, pgpodSchema, readJobs, submitJob } from "./jobs.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import type { AnyEndpoints, EndpointMap, JobRef, JobStatus, JobView, PgpodClient, SupabaseClientLike, WatchFilter } from "./types.ts";
import { waitForJob } from "./wait.ts";
import { watchJobs } from "./watch.ts";

const defaultPageSize = 50;
const maxPageSize = 1000;

const jobIdOf = (job: JobRef) => (typeof job === "string" ? job : job.id);
const statusList = (status: JobStatus | readonly JobStatus[] | undefined) =>
  status === undefined ? undefined : typeof status === "string" ? [status] : status;

/**
 * The pgpod SDK on a supabase-js client (as the signed-in user). Declare the
 * app's endpoints once to type inputs and outputs:
 * `const jobs = pgpod<{ image: { input: { prompt: string }; output: { files: JobFile[] } } }>(supabase)`.
 */
export function pgpod<E extends EndpointMap<E> = AnyEndpoints>(supabase: SupabaseClientLike): PgpodClient<E> {
  const db = pgpodSchema(supabase);
  const defaultOnError = (error: Error) => console.error(error);
  // Each method's job type is fixed by its declaration in PgpodClient; the rows are the same columns.
  type Untyped = (job: JobView) => void;
  const client: { [M in keyof PgpodClient<AnyEndpoints>]: (...args: never[]) => unknown } = {
    submit: (endpoint: string, input: object, options = {}) => submitJob(db, endpoint, input, options),
    watch: (target: JobRef | WatchFilter<string>, onChange: Untyped, options: { signal?: AbortSignal; onError?: (error: Error) => void } = {}) =>
      watchJobs(
        supabase,
        db,
        typeof target === "string" || "id" in target
          ? { jobId: jobIdOf(target as JobRef) }
          : { endpoint: target.endpoint, statuses: statusList(target.status) },
        { onChange, onError: options.onError ?? defaultOnError },
        options.signal,
      ),
    wait: (job: JobRef, options = {}) => waitForJob(supabase, db, jobIdOf(job), options),
    cancel: (job: JobRef) => callJobFunction(db, "cancel", jobIdOf(job)),
    retry: (job: JobRef) => callJobFunction(db, "retry", jobIdOf(job)),
    list: async (options: { endpoint?: string; status?: JobStatus | readonly JobStatus[]; limit?: number; before?: string } = {}) => {
      const limit = options.limit ?? defaultPageSize;
      if (!Number.isInteger(limit) || limit < 1 || limit > maxPageSize) {
        throw new RangeError(`pgpod: limit must be a whole number from 1 to ${maxPageSize}, not ${limit}`);
      }
      const found = await readJobs(db, {
        endpoint: options.endpoint,
        statuses: statusList(options.status),
        before: options.before === undefined ? undefined : decodeCursor(options.before),
        limit: limit + 1,
      });
      const jobs = found.slice(0, limit);
      return { jobs, next: found.length > limit ? encodeCursor(jobs[jobs.length - 1]) : null };
    },
    fileUrls: (job, options) => fileUrls(supabase, job, options),
    archive: (selection, options) => archiveJobs(supabase, selection, options),
  };
  return client as unknown as PgpodClient<E>;
}
