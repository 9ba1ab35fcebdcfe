// The URLs a finished job's output.files carry beside each file's path: the
// public URL when the bucket is public, and a signed URL valid for the
// endpoint's signed_url_ttl_s. Signed URLs in a stored row expire; clients
// make fresh ones from bucket and path.
import type { FileRef } from "./outputs.ts";
import type { StorageWriter } from "./storage.ts";

export type PublishedFileRef = FileRef & { url: string | null; signed_url: string | null };

export interface UrlSettings {
  bucket: string;
  publicBucket: boolean;
  signedUrlTtlS: number;
}

/** The refs of one job with their URLs, signed in one Storage request. */
export async function withResultUrls(storage: StorageWriter, settings: UrlSettings, refs: FileRef[]): Promise<PublishedFileRef[]> {
  const signed = await storage.signedUrls(settings.bucket, refs.map((ref) => ref.path), settings.signedUrlTtlS);
  return refs.map((ref, i) => ({
    ...ref,
    url: settings.publicBucket ? storage.publicUrl(settings.bucket, ref.path) : null,
    signed_url: signed[i],
  }));
}
