// Storage through storage-js (the Storage client inside supabase-js, used on
// its own: the functions need neither auth nor realtime) with the service
// key, the only place that holds it. Uploads always upsert, so a repeated webhook overwrites the same
// deterministic paths instead of failing on "already exists".
import { StorageClient } from "@supabase/storage-js";
import { OutputError, TransientError } from "./errors.ts";

export interface StoredObject {
  size: number;
  contentType: string;
}

export interface SignedUpload {
  /** Full URL a worker PUTs the bytes to; the token inside is the only credential. */
  url: string;
  path: string;
}

export interface StorageWriter {
  /** Creates the bucket when missing; checked once per bucket per function instance. */
  ensureBucket(bucket: string, isPublic: boolean): Promise<void>;
  upload(bucket: string, path: string, bytes: Uint8Array, contentType: string): Promise<void>;
  /** The object's size and type, or null when there is no such object. */
  info(bucket: string, path: string): Promise<StoredObject | null>;
  signedUploadUrl(bucket: string, path: string): Promise<SignedUpload>;
  remove(bucket: string, path: string): Promise<void>;
  /** Signed download URLs valid for `expiresInS`, one per path and in order; null for a path with no object. */
  signedUrls(bucket: string, paths: string[], expiresInS: number): Promise<Array<string | null>>;
  /** The object's URL in a public bucket (no request is made). */
  publicUrl(bucket: string, path: string): string;
}

export interface StorageWriterOptions {
  supabaseUrl: string;
  serviceRoleKey: string;
  /** Per-request timeout, so a hung Storage cannot hold a function until its wall-clock limit. */
  timeoutMs: number;
}

interface ApiError {
  message?: string;
  status?: number;
  statusCode?: string;
  code?: string;
}

function isNotFound(error: ApiError): boolean {
  return error.status === 404 || error.statusCode === "404" || error.code === "NoSuchKey" ||
    error.code === "NoSuchBucket" || error.code === "not_found";
}

/**
 * Refusals of the file itself (too large, type not allowed, bad name): sending
 * it again gets the same answer. Anything else (Storage down, a wrong key,
 * rate limits) may pass later.
 */
const refusesTheFile = new Set([400, 413, 415, 422]);

function failure(action: string, error: ApiError): Error {
  // Storage answers client errors as HTTP 400 with the precise code in statusCode.
  const status = Number(error.statusCode ?? error.status);
  const message = `Storage ${action} failed${status ? ` (${status})` : ""}: ${error.message ?? "unknown error"}`;
  return refusesTheFile.has(status) ? new OutputError(message) : new TransientError(message);
}

export function storageWriter(options: StorageWriterOptions): StorageWriter {
  const timedFetch: typeof fetch = (input, init) =>
    fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(options.timeoutMs) });
  const storage = new StorageClient(
    `${options.supabaseUrl}/storage/v1`,
    { apikey: options.serviceRoleKey, authorization: `Bearer ${options.serviceRoleKey}` },
    timedFetch,
  );
  const buckets = new Map<string, Promise<void>>();

  async function createIfMissing(bucket: string, isPublic: boolean): Promise<void> {
    const found = await storage.getBucket(bucket);
    if (!found.error) return;
    if (!isNotFound(found.error as ApiError)) throw failure(`reading bucket "${bucket}"`, found.error as ApiError);
    const created = await storage.createBucket(bucket, { public: isPublic });
    if (!created.error) return;
    // Another instance may have created it in between.
    const again = await storage.getBucket(bucket);
    if (again.error) throw failure(`creating bucket "${bucket}"`, created.error as ApiError);
  }

  return {
    ensureBucket(bucket, isPublic) {
      let pending = buckets.get(bucket);
      if (!pending) {
        pending = createIfMissing(bucket, isPublic);
        buckets.set(bucket, pending);
        pending.catch(() => buckets.delete(bucket));
      }
      return pending;
    },

    async upload(bucket, path, bytes, contentType) {
      const { error } = await storage.from(bucket).upload(path, chunked(bytes), { contentType, upsert: true });
      if (error) throw failure(`upload of ${bucket}/${path}`, error as ApiError);
    },

    async info(bucket, path) {
      const { data, error } = await storage.from(bucket).info(path);
      if (error) {
        if (isNotFound(error as ApiError)) return null;
        throw failure(`info for ${bucket}/${path}`, error as ApiError);
      }
      return { size: Number(data.size ?? 0), contentType: data.contentType ?? "application/octet-stream" };
    },

    async remove(bucket, path) {
      const { error } = await storage.from(bucket).remove([path]);
      if (error) throw failure(`removal of ${bucket}/${path}`, error as ApiError);
    },

    async signedUploadUrl(bucket, path) {
      const { data, error } = await storage.from(bucket).createSignedUploadUrl(path, { upsert: true });
      if (error) throw failure(`signing an upload URL for ${bucket}/${path}`, error as ApiError);
      return { url: data.signedUrl, path: data.path };
    },

    async signedUrls(bucket, paths, expiresInS) {
      if (paths.length === 0) return [];
      const { data, error } = await storage.from(bucket).createSignedUrls(paths, expiresInS);
      if (error) throw failure(`signing download URLs in ${bucket}`, error as ApiError);
      const byPath = new Map(data.map((entry) => [entry.path, entry.error ? null : entry.signedUrl]));
      return paths.map((path) => byPath.get(path) ?? null);
    },

    publicUrl(bucket, path) {
      return storage.from(bucket).getPublicUrl(path).data.publicUrl;
    },
  };
}

const uploadChunkBytes = 1024 * 1024;

/**
 * The bytes as a stream of views over them. fetch copies a Uint8Array body
 * whole before sending it; a stream is sent a chunk at a time, so an upload
 * of tens of MB costs no second copy.
 */
function chunked(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.subarray(at, at + uploadChunkBytes));
      at += uploadChunkBytes;
    },
  });
}
