// The SDK's public types. Job columns come from the generated database types;
// inputs and outputs per endpoint come from the app's declaration map.
import type { SupabaseClient } from "@supabase/supabase-js";
import type { Database, Json } from "../../supabase/database.types.ts";

type JobRow = Database["pgpod"]["Tables"]["jobs"]["Row"];

export type JobStatus = Database["pgpod"]["Enums"]["job_status"];

/** The states a job never leaves (except through `retry`). */
export type TerminalStatus = Extract<JobStatus, "succeeded" | "failed" | "cancelled">;

/**
 * The columns of a job as Realtime broadcasts it, and so as every method here
 * returns it: all but `input` (up to 10 MB) and the internal `run_id`.
 */
export const jobColumns = [
  "id", "endpoint", "owner_id", "status", "output", "error", "attempt", "max_attempts", "idempotency_key",
  "run_after", "cancel_requested_at", "source_table", "source_id", "created_at", "submitted_at", "started_at",
  "finished_at", "updated_at",
] as const satisfies ReadonlyArray<keyof JobRow>;

type JobColumn = (typeof jobColumns)[number];

/**
 * A stored output file, as `output.files` lists it. `signed_url` was signed
 * when the job finished and expires (fileUrls makes fresh ones); `url` is the
 * public URL when the endpoint's bucket is public.
 */
export type JobFile = {
  index: number;
  filename: string;
  bucket: string;
  path: string;
  content_type: string;
  size: number;
  sha256: string | null;
  url?: string | null;
  signed_url?: string | null;
  /** On a derived file of an endpoint with variants: a WebP thumbnail ("thumb") or conversion ("webp") of file `variant_of`. */
  variant?: "thumb" | "webp";
  /** The `index` of the file this variant was made from. */
  variant_of?: number;
  /** On an original that got no variants: why (over the cap, past the delivery's budget, a format without a decoder). */
  variants_skipped?: string;
  /** On an original whose variants could not be made or stored (a corrupt image). */
  variants_failed?: string;
};

/** A file with a URL to fetch it: signed with the user's session, or public. */
export type JobFileUrl = JobFile & { url: string };

export type JsonObject = { [key: string]: Json | undefined };

/** What an endpoint returns when the app has not declared it: JSON, with stored files under `files`. */
export type DefaultOutput = { files?: JobFile[]; [key: string]: Json | undefined };

/** One endpoint's input and output types. */
export type EndpointSpec = { input: object; output: object };

/**
 * The app's endpoints, declared once:
 * `interface Endpoints { image: { input: { prompt: string }; output: { files: JobFile[] } } }`.
 */
export type EndpointMap<E> = { [K in keyof E]: EndpointSpec };

/** Every endpoint name with JSON in and out: what `pgpod(supabase)` uses when no map is given. */
export type AnyEndpoints = { [name: string]: { input: JsonObject; output: DefaultOutput } };

export type EndpointName<E> = Extract<keyof E, string>;

type InputOf<E, K extends keyof E> = E[K] extends { input: infer I } ? I : never;
type OutputOf<E, K extends keyof E> = E[K] extends { output: infer O } ? O : never;

type JobCommon = Pick<JobRow, Exclude<JobColumn, "endpoint" | "output">>;

/** A job of endpoint K (a union over the endpoints when K is not known). */
export type Job<E, K extends EndpointName<E> = EndpointName<E>> = K extends EndpointName<E>
  ? JobCommon & { endpoint: K; output: OutputOf<E, K> | null }
  : never;

/** A job that reached `succeeded`: its output is there. */
export type SucceededJob<E, K extends EndpointName<E> = EndpointName<E>> = K extends EndpointName<E>
  ? Omit<JobCommon, "status" | "finished_at"> & { endpoint: K; status: "succeeded"; finished_at: string; output: OutputOf<E, K> }
  : never;

/** A job with nothing known about its endpoint's types, as errors carry it. */
export type JobView = JobCommon & { endpoint: string; output: unknown };

export type Input<E, K extends EndpointName<E>> = InputOf<E, K>;

/** A job by id, or a job object (whose endpoint then types the result). */
export type JobRef<K extends string = string> = string | { id: string; endpoint: K };

export interface SubmitOptions {
  /** A key seen before for this user and endpoint returns the job it created. */
  idempotencyKey?: string;
  /** Do not start before this time. */
  runAfter?: Date | string;
}

export interface WatchFilter<K extends string> {
  endpoint?: K;
  status?: JobStatus | readonly JobStatus[];
}

export interface WatchOptions {
  signal?: AbortSignal;
  /** Failures that do not stop the watch (a refused channel, a failed read); it keeps trying. Default: console.error. */
  onError?: (error: Error) => void;
}

export interface WaitOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ListOptions<K extends string> {
  endpoint?: K;
  status?: JobStatus | readonly JobStatus[];
  /** Jobs per page, newest first (default 50, at most 1000). */
  limit?: number;
  /** The `next` cursor of the previous page. */
  before?: string;
}

export interface JobPage<J> {
  jobs: J[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  next: string | null;
}

/** Storage's image transformations (a Pro plan feature on hosted projects). */
export interface ImageTransform {
  width?: number;
  height?: number;
  resize?: "cover" | "contain" | "fill";
  quality?: number;
  format?: "origin";
}

export interface FileUrlOptions {
  /** Lifetime of signed URLs in seconds (default 3600); public URLs do not expire. */
  expiresIn?: number;
  transform?: ImageTransform;
  /** Make the URL download the file (true: under its own name; a string: under that name). */
  download?: boolean | string;
}

/** Which jobs an archive holds: by id, by filter, or both (at least one). */
export interface ArchiveSelection<K extends string> {
  /** Up to 1000 jobs, by id or as job objects. */
  jobs?: readonly JobRef<K>[];
  endpoint?: K;
  createdAfter?: Date | string;
  createdBefore?: Date | string;
}

export interface ArchiveOptions {
  /** Lifetime of the signed URL in seconds (default 3600, from 60 to 7 days). */
  expiresIn?: number;
}

/** A tar.gz of the selected jobs' files (entries `<job id>/<filename>`) in the private pgpod-archives bucket. */
export interface JobArchive {
  /** A signed URL to download it. */
  url: string;
  expiresIn: number;
  /** True when the same set of files had been archived before and that archive is returned. */
  cached: boolean;
  bucket: string;
  path: string;
  /** Bytes of the tar.gz. */
  size: number;
  /** Files in it. */
  files: number;
}

/** A job whose output may list files. */
export type JobWithFiles = { output: { files?: readonly JobFile[] } | null };

export type Unsubscribe = () => void;

/**
 * What pgpod needs of a supabase-js client. Any `SupabaseClient`, typed with
 * the app's own database or not, fits.
 */
export type SupabaseClientLike = Pick<SupabaseClient, "channel" | "removeChannel" | "realtime" | "storage" | "functions"> & {
  schema(schema: never): unknown;
};

export interface PgpodClient<E extends EndpointMap<E>> {
  /** Inserts a job through the Data API (pgpod.submit) and returns it. */
  submit<K extends EndpointName<E>>(endpoint: K, input: Input<E, K>, options?: SubmitOptions): Promise<Job<E, K>>;
  /**
   * Reports every new state of one job, or of the user's jobs matching a
   * filter (and once more when a job stops matching it), each state once and
   * never an older one after a newer. Returns the function that stops it.
   */
  watch<K extends EndpointName<E>>(job: JobRef<K>, onChange: (job: Job<E, K>) => void, options?: WatchOptions): Unsubscribe;
  watch<K extends EndpointName<E> = EndpointName<E>>(
    filter: WatchFilter<K>,
    onChange: (job: Job<E, K>) => void,
    options?: WatchOptions,
  ): Unsubscribe;
  /** Resolves when the job succeeds; rejects with JobFailedError or JobCancelledError when it does not. */
  wait<K extends EndpointName<E>>(job: JobRef<K>, options?: WaitOptions): Promise<SucceededJob<E, K>>;
  /** Cancels a queued job at once, or asks RunPod to cancel one in flight; a finished job is returned unchanged. */
  cancel<K extends EndpointName<E>>(job: JobRef<K>): Promise<Job<E, K>>;
  /** Queues a failed or cancelled job again with a fresh attempt budget. */
  retry<K extends EndpointName<E>>(job: JobRef<K>): Promise<Job<E, K>>;
  /** The user's jobs, newest first, a page at a time. */
  list<K extends EndpointName<E> = EndpointName<E>>(options?: ListOptions<K>): Promise<JobPage<Job<E, K>>>;
  /** A URL for each file in the job's output. */
  fileUrls(job: JobWithFiles, options?: FileUrlOptions): Promise<JobFileUrl[]>;
  /** Packs the files of the selected jobs (the user's own only) into one tar.gz and returns a signed URL to it. */
  archive<K extends EndpointName<E>>(selection: ArchiveSelection<K>, options?: ArchiveOptions): Promise<JobArchive>;
}
