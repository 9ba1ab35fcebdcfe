// One tar.gz of the user's jobs' files: the pgpod-archive Edge Function packs
// them (only the caller's own jobs, through their RLS) and answers a signed URL.
import { JobNotFoundError, RequestFailedError } from "./errors.ts";
import type { ArchiveOptions, ArchiveSelection, JobArchive, JobRef, SupabaseClientLike } from "./types.ts";

const functionName = "pgpod-archive";

interface ArchiveAnswer {
  cached: boolean;
  archive: { bucket: string; path: string; size: number; files: number };
  signed_url: string;
  expires_in: number;
}

const iso = (time: Date | string | undefined) => (time instanceof Date ? time.toISOString() : time);

/** The function's refusal, from the body it answered with (`{ error }`), as an SDK error. */
async function refusal(error: { message: string; context?: unknown }): Promise<Error> {
  const response = error.context instanceof Response ? error.context : null;
  if (!response) return new RequestFailedError(`pgpod: ${functionName} could not be reached: ${error.message}`, { cause: error });
  const body = await response.json().catch(() => null) as { error?: unknown; message?: unknown } | null;
  const message = String(body?.error ?? body?.message ?? error.message);
  if (response.status === 404 && /^pgpod: job \S+ not found$/.test(message)) return new JobNotFoundError(message, { cause: error });
  return new RequestFailedError(`pgpod: ${functionName} answered ${response.status}: ${message}`, { status: response.status, cause: error });
}

export async function archiveJobs(supabase: SupabaseClientLike, selection: ArchiveSelection<string>, options: ArchiveOptions = {}): Promise<JobArchive> {
  const body = {
    job_ids: selection.jobs?.map((job: JobRef) => (typeof job === "string" ? job : job.id)),
    endpoint: selection.endpoint,
    created_after: iso(selection.createdAfter),
    created_before: iso(selection.createdBefore),
    expires_in: options.expiresIn,
  };
  const { data, error } = await supabase.functions.invoke<ArchiveAnswer>(functionName, { body });
  if (error || !data) throw await refusal(error ?? { message: "no answer" });
  return { url: data.signed_url, expiresIn: data.expires_in, cached: data.cached, ...data.archive };
}
