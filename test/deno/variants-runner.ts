// Runs the webhook's variants step under Deno (the runtime its wasm codecs
// run in) for test/functions/variants.test.ts: reads the originals and the
// settings as JSON on stdin, stores the variants in an in-memory Storage, and
// prints the refs and every upload (bytes in base64) as JSON.
import { Buffer } from "node:buffer";
import { OutputError, TransientError } from "../../supabase/functions/_shared/errors.ts";
import type { StorageWriter } from "../../supabase/functions/_shared/storage.ts";
import { variantBudget, withVariants } from "../../supabase/functions/_shared/variant-files.ts";

interface Request {
  settings: { thumbnailWidth: number | null; webp: boolean; maxMegapixels: number };
  originals: Array<{ ref: { index: number; filename: string; bucket: string; path: string; content_type: string; size: number; sha256: string | null }; base64: string | null }>;
  /** Paths Storage refuses as a file problem (OutputError), or as being down (TransientError). */
  refuse?: string[];
  down?: boolean;
}

const request = JSON.parse(await new Response(Deno.stdin.readable).text()) as Request;
const uploads: Array<{ bucket: string; path: string; contentType: string; base64: string }> = [];
const storage = {
  upload(bucket: string, path: string, bytes: Uint8Array, contentType: string) {
    if (request.down) return Promise.reject(new TransientError("Storage upload failed (503): down"));
    if (request.refuse?.includes(path)) return Promise.reject(new OutputError(`Storage upload of ${bucket}/${path} failed (415): mime type not supported`));
    uploads.push({ bucket, path, contentType, base64: Buffer.from(bytes).toString("base64") });
    return Promise.resolve();
  },
} as unknown as StorageWriter;

const budget = variantBudget(request.settings);
try {
  const refs = await withVariants(
    storage,
    request.originals.map((o) => ({ ref: o.ref, bytes: o.base64 === null ? null : new Uint8Array(Buffer.from(o.base64, "base64")) })),
    budget,
  );
  console.log(JSON.stringify({ refs, uploads, remainingMegapixels: budget.remainingMegapixels }));
} catch (error) {
  console.log(JSON.stringify({ thrown: (error as Error).name, message: (error as Error).message }));
}
