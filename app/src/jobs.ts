// Every pgpod call the app makes, through the @pgpod/client SDK.
import type { SupabaseClient } from "@supabase/supabase-js";
import { pgpod, type Job, type JobFile } from "@pgpod/client";

/** The seed's endpoints this app submits to, and what they take and return. */
export interface Endpoints {
  image: { input: { prompt: string; width?: number; height?: number }; output: { files: JobFile[]; prompt_id?: string } };
  sleep: { input: { ms: number }; output: { slept_ms: number } };
  transcribe: { input: { url: StorageReference }; output: { text: string; language?: string } };
}

/** An uploaded input file, as a job's input references it; the worker gets a signed URL instead. */
type StorageReference = { $storage: { bucket: string; path: string } };

/** The private bucket the migrations create for input files; each user writes to their own folder. */
const inputsBucket = "pgpod-inputs";

export type AppJob = Job<Endpoints>;

export interface ImageUrls {
  thumbnail: string;
  full: string;
}

export const thumbnailWidth = 160;
/** pgpod-archive takes at most this many job ids in one request. */
export const maxArchiveJobs = 1000;
const terminal = new Set(["succeeded", "failed", "cancelled"]);

export const isTerminal = (job: AppJob) => terminal.has(job.status);
export const canRetry = (job: AppJob) => job.status === "failed" || job.status === "cancelled";
/** A succeeded job whose output lists stored files (images; a transcript is text in the output). */
export function hasStoredFiles(job: AppJob): boolean {
  const files = (job.output as { files?: unknown[] } | null)?.files;
  return job.status === "succeeded" && Array.isArray(files) && files.length > 0;
}

export function jobsOf(supabase: SupabaseClient) {
  const client = pgpod<Endpoints>(supabase);
  return {
    submitImage: (prompt: string) => client.submit("image", { prompt, width: 256, height: 256 }),
    submitSleep: (seconds: number) => client.submit("sleep", { ms: Math.round(seconds * 1000) }),
    /** Uploads the recording to the user's folder of the inputs bucket and submits a job that references it. */
    async submitTranscription(userId: string, file: File) {
      const extension = /\.([a-z0-9]{1,8})$/i.exec(file.name)?.[1]?.toLowerCase() ?? "bin";
      const path = `${userId}/inputs/${crypto.randomUUID()}.${extension}`;
      const { error } = await supabase.storage.from(inputsBucket).upload(path, file, { contentType: file.type || "application/octet-stream" });
      if (error) throw new Error(`could not upload ${file.name}: ${error.message}`);
      return client.submit("transcribe", { url: { $storage: { bucket: inputsBucket, path } } });
    },
    /** Every state of every job of the signed-in user, existing ones first; returns the function that stops. */
    watchAll: (onChange: (job: AppJob) => void, onError: (error: Error) => void) => client.watch({}, onChange, { onError }),
    cancel: (job: AppJob) => client.cancel(job),
    retry: (job: AppJob) => client.retry(job),
    /** One tar.gz of the jobs' files (entries <job id>/<filename>), with a signed URL valid for an hour. */
    archive: (jobIds: readonly string[]) => client.archive({ jobs: jobIds }),
    /**
     * Signed URLs of a finished image job's first image: its stored WebP thumbnail when the
     * endpoint makes variants, otherwise one resized by Storage; and the full image.
     */
    async imageUrls(job: AppJob): Promise<ImageUrls | null> {
      if (job.endpoint !== "image" || !job.output?.files?.length) return null;
      const urls = await client.fileUrls(job);
      const original = urls.find((file) => file.variant === undefined) ?? urls[0];
      const stored = urls.find((file) => file.variant === "thumb" && file.variant_of === original.index);
      if (stored) return { thumbnail: stored.url, full: original.url };
      const resized = await client.fileUrls(job, { transform: { width: thumbnailWidth, height: thumbnailWidth, resize: "cover" } });
      return { thumbnail: resized[urls.indexOf(original)].url, full: original.url };
    },
  };
}

export type JobsApi = ReturnType<typeof jobsOf>;
