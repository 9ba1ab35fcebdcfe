// URLs for a job's output files, made with the user's own session: the
// storage policy lets an owner read their folder, so signing needs no secret.
// A file in a public bucket carries its public URL (the webhook writes it),
// and gets a public URL here too.
import { RequestFailedError } from "./errors.ts";
import type { FileUrlOptions, JobFileUrl, JobWithFiles, SupabaseClientLike } from "./types.ts";

const defaultExpiresIn = 3600;

export async function fileUrls(supabase: SupabaseClientLike, job: JobWithFiles, options: FileUrlOptions = {}): Promise<JobFileUrl[]> {
  const { transform, download } = options;
  return await Promise.all((job.output?.files ?? []).map(async (file): Promise<JobFileUrl> => {
    const bucket = supabase.storage.from(file.bucket);
    if (typeof file.url === "string") return { ...file, url: bucket.getPublicUrl(file.path, { transform, download }).data.publicUrl };
    const { data, error } = await bucket.createSignedUrl(file.path, options.expiresIn ?? defaultExpiresIn, { transform, download });
    if (error || !data) {
      throw new RequestFailedError(`pgpod: Storage did not sign ${file.bucket}/${file.path}: ${error?.message ?? "no URL"}`, { cause: error });
    }
    return { ...file, url: data.signedUrl };
  }));
}
