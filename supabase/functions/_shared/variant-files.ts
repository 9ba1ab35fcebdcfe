// The variants step of storing a job's files, for endpoints with a variants
// setting: after the originals are stored, each PNG, JPEG or WebP original
// gets its WebP thumbnail and conversion, stored beside it at deterministic
// paths (a repeated delivery overwrites them) and listed in output.files with
// `variant` and `variant_of` (the original's index). A variant never fails the
// job: an image over the cap or past the delivery's budget is noted on the
// original as `variants_skipped`, one that cannot be decoded or stored as
// `variants_failed`. Only Storage being unreachable throws, as for originals.
import { sha256Hex } from "./digest.ts";
import { OutputError } from "./errors.ts";
import type { EncodedVariant, VariantKind, VariantSettings } from "./image-variants.ts";
import type { FileRef } from "./outputs.ts";
import type { StorageWriter } from "./storage.ts";

export interface VariantFields {
  /** Set on a derived file: which variant it is, and the index of the file it was made from. */
  variant?: VariantKind;
  variant_of?: number;
  /** Set on an original that got no variants: why. */
  variants_skipped?: string;
  variants_failed?: string;
}

export type VariantFileRef = FileRef & VariantFields;

/** A stored original and its bytes (null when they never passed through the function, as with a worker's own upload). */
export interface StoredOriginal {
  ref: FileRef;
  bytes: Uint8Array | null;
}

/**
 * Bounds measured with `npm run bench` (README, Thumbnails and variants): a
 * thumbnail and a WebP conversion of an image at the cap stay well inside an
 * Edge Function's 2 s of CPU and 256 MB, and so do all the images of one
 * delivery together.
 */
export const variantLimits = {
  /** The largest max_megapixels an endpoint may set (pgpod.endpoints.variants checks the same bound). */
  maxMegapixels: 1.5,
  /** Megapixels decoded for variants per delivery, over all its jobs and images. */
  deliveryMegapixels: 4,
};

/** One delivery's variant work: the endpoint's settings and the megapixels it may still decode. */
export interface VariantBudget {
  settings: VariantSettings;
  remainingMegapixels: number;
}

export function variantBudget(settings: VariantSettings): VariantBudget {
  return { settings, remainingMegapixels: variantLimits.deliveryMegapixels };
}

const suffixes: Record<VariantKind, string> = { thumb: "_thumb.webp", webp: ".webp" };

/** `<stem>_thumb.webp` and `<stem>.webp`, with the original's index in front when that name is taken. */
function variantFilename(original: FileRef, kind: VariantKind, taken: Set<string>): string {
  const stem = original.filename.replace(/\.[A-Za-z0-9]+$/, "");
  let name = `${stem}${suffixes[kind]}`;
  while (taken.has(name)) name = `${original.index}-${name}`;
  taken.add(name);
  return name;
}

const folderOf = (path: string) => path.slice(0, path.lastIndexOf("/"));

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The refs of one job's files followed by the variants made from them. */
export async function withVariants(storage: StorageWriter, originals: StoredOriginal[], budget: VariantBudget): Promise<VariantFileRef[]> {
  const images = originals.filter((o) => o.ref.content_type.startsWith("image/"));
  if (images.length === 0) return originals.map((o) => o.ref);
  // Loaded only for endpoints with variants: the codecs' glue stays out of every other delivery.
  const codec = await import("./image-variants.ts");
  const taken = new Set(originals.map((o) => o.ref.filename));
  let nextIndex = Math.max(...originals.map((o) => o.ref.index)) + 1;
  const notes = new Map<FileRef, VariantFields>();
  const derived: VariantFileRef[] = [];

  for (const { ref, bytes } of images) {
    if (!bytes) {
      notes.set(ref, { variants_skipped: "uploaded by the worker, so its bytes never passed through pgpod" });
      continue;
    }
    let encoded: EncodedVariant[];
    try {
      const size = codec.checkedSize(bytes, ref.content_type, budget.settings.maxMegapixels);
      const mp = codec.megapixels(size);
      if (mp > budget.remainingMegapixels) {
        throw new codec.VariantSkipped(`the delivery's budget of ${variantLimits.deliveryMegapixels} megapixels for variants is spent`);
      }
      budget.remainingMegapixels -= mp;
      encoded = await codec.encodeVariants(bytes, ref.content_type, size, budget.settings);
    } catch (error) {
      // Whatever a decoder throws on untrusted bytes (wasm traps included) is this image's failure only.
      notes.set(ref, error instanceof codec.VariantSkipped ? { variants_skipped: error.message } : { variants_failed: messageOf(error) });
      continue;
    }
    for (const variant of encoded) {
      const filename = variantFilename(ref, variant.kind, taken);
      const path = `${folderOf(ref.path)}/${filename}`;
      try {
        await storage.upload(ref.bucket, path, variant.bytes, "image/webp");
      } catch (error) {
        if (!(error instanceof OutputError)) throw error;
        notes.set(ref, { variants_failed: error.message });
        break;
      }
      derived.push({
        index: nextIndex++,
        filename,
        bucket: ref.bucket,
        path,
        content_type: "image/webp",
        size: variant.bytes.byteLength,
        sha256: sha256Hex(variant.bytes),
        variant: variant.kind,
        variant_of: ref.index,
      });
    }
  }
  return [...originals.map((o) => ({ ...o.ref, ...notes.get(o.ref) })), ...derived];
}
