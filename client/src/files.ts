// URLs for a job's output files, made with the user's own session: the
// storage policy lets an owner read their folder, so signing needs no secret.
// An endpoint with public_outputs writes to a public bucket, whose files have
// plain public URLs.
import { RequestFailedError } from "./errors.ts";
import type { PgpodSchema } from "./jobs.ts";
import type { FileUrlOptions, JobFileUrl, JobWithFiles, SupabaseClientLike } from "./types.ts";

const defaultExpiresIn = 3600;

export async function fileUrls(
  supabase: SupabaseClientLike,
  db: PgpodSchema,
  job: JobWithFiles,
  options: FileUrlOptions = {},
): Promise<JobFileUrl[]> {
  const files = job.output?.files ?? [];
  if (files.length === 0) return [];
  const publicBucket = await publicOutputBucket(db, job.endpoint);
  const { transform, download } = options;
  return await Promise.all(files.map(async (file): Promise<JobFileUrl> => {
    const bucket = supabase.storage.from(file.bucket);
    if (file.bucket === publicBucket) return { ...file, url: bucket.getPublicUrl(file.path, { transform, download }).data.publicUrl };
    const { data, error } = await bucket.createSignedUrl(file.path, options.expiresIn ?? defaultExpiresIn, { transform, download });
    if (error || !data) {
      throw new RequestFailedError(`pgpod: Storage did not sign ${file.bucket}/${file.path}: ${error?.message ?? "no URL"}`, { cause: error });
    }
    return { ...file, url: data.signedUrl };
  }));
}

/** The endpoint's output bucket when its outputs are public. */
async function publicOutputBucket(db: PgpodSchema, endpoint: string): Promise<string | null> {
  const { data, error, status } = await db.from("endpoints").select("output_bucket,public_outputs").eq("name", endpoint).maybeSingle();
  if (error) throw new RequestFailedError(`pgpod: could not read endpoint ${endpoint}: ${error.message}`, { status, dbCode: error.code, cause: error });
  return data?.public_outputs ? data.output_bucket : null;
}
