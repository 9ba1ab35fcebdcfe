// The derived images pgpod stores beside an image output: a WebP thumbnail of
// a given width and a WebP conversion of the whole image, made with the wasm
// codecs of the @jsquash packages. Their .wasm files ship in the npm packages
// and are read from where the package is installed (the Deno cache locally,
// the function's bundle on Supabase), compiled on first use. The header is
// read before decoding, so an image over the cap is never decoded. `npm run
// bench` measures the CPU time per megapixel.
import { readFile } from "node:fs/promises";
import decodeJpeg, { init as initJpeg } from "@jsquash/jpeg/decode.js";
import decodePng, { init as initPng } from "@jsquash/png/decode.js";
import resize, { initResize } from "@jsquash/resize";
import decodeWebp, { init as initWebpDecoder } from "@jsquash/webp/decode.js";
import encodeWebp, { init as initWebpEncoder } from "@jsquash/webp/encode.js";
import { headerTypes, type ImageSize, imageSize } from "./image-header.ts";

export type VariantKind = "thumb" | "webp";

/** An endpoint's variants setting (pgpod.endpoints.variants), already validated by SQL. */
export interface VariantSettings {
  /** Width of the WebP thumbnail in pixels (never wider than the image); null: no thumbnail. */
  thumbnailWidth: number | null;
  /** Store a WebP conversion of the whole image (WebP sources get none). */
  webp: boolean;
  /** Images larger than this are stored without variants. */
  maxMegapixels: number;
}

export interface EncodedVariant {
  kind: VariantKind;
  bytes: Uint8Array;
  width: number;
  height: number;
}

/** Why an image gets no variants although the endpoint asks for them. */
export class VariantSkipped extends Error {
  override name = "VariantSkipped";
}

/** An image that claimed to be decodable but could not be turned into variants. */
export class VariantFailed extends Error {
  override name = "VariantFailed";
}

/** Quality settings: a small, sharp thumbnail; a full-size conversion at libwebp's quicker effort (method 2 of 0-6). */
const thumbnailEncoding = { quality: 75, method: 4 };
const conversionEncoding = { quality: 80, method: 2 };

/** The bytes of a .wasm file in an npm package, next to one of its modules. */
async function packagedWasm(module: string, file: string): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await readFile(new URL(file, import.meta.resolve(module))));
}

const compiled = async (module: string, file: string) => await WebAssembly.compile(await packagedWasm(module, file));

/**
 * The WebP encoder's SIMD build where the runtime validates it (as the
 * package's own glue decides which build it drives), the plain one elsewhere.
 */
async function webpEncoderWasm(): Promise<WebAssembly.Module> {
  const simd = await packagedWasm("@jsquash/webp/encode.js", "./codec/enc/webp_enc_simd.wasm");
  if (WebAssembly.validate(simd)) return await WebAssembly.compile(simd);
  return await compiled("@jsquash/webp/encode.js", "./codec/enc/webp_enc.wasm");
}

/** Each codec compiled once per instance, when first needed. */
function once(load: () => Promise<unknown>): () => Promise<void> {
  let loading: Promise<void> | undefined;
  return () => {
    loading ??= load().then(() => {});
    loading.catch(() => (loading = undefined));
    return loading;
  };
}

const ready = {
  png: once(async () => await initPng(await compiled("@jsquash/png/decode.js", "./codec/pkg/squoosh_png_bg.wasm"))),
  jpeg: once(async () => await initJpeg(await compiled("@jsquash/jpeg/decode.js", "./codec/dec/mozjpeg_dec.wasm"))),
  webpDecoder: once(async () => await initWebpDecoder(await compiled("@jsquash/webp/decode.js", "./codec/dec/webp_dec.wasm"))),
  webpEncoder: once(async () => await initWebpEncoder(await webpEncoderWasm())),
  resize: once(async () => await initResize(await compiled("@jsquash/resize", "./lib/resize/pkg/squoosh_resize_bg.wasm"))),
};

const decoders: Record<string, (bytes: ArrayBuffer) => Promise<ImageData>> = {
  "image/png": async (bytes) => (await ready.png(), await decodePng(bytes)),
  "image/jpeg": async (bytes) => (await ready.jpeg(), await decodeJpeg(bytes)),
  "image/webp": async (bytes) => (await ready.webpDecoder(), await decodeWebp(bytes)),
};

export const megapixels = (size: ImageSize): number => (size.width * size.height) / 1_000_000;

/**
 * The image's size from its header, checked against the cap: throws
 * VariantSkipped for types without a decoder and images over the cap,
 * VariantFailed for a header that cannot be read.
 */
export function checkedSize(bytes: Uint8Array, contentType: string, maxMegapixels: number): ImageSize {
  if (!headerTypes.includes(contentType)) throw new VariantSkipped(`${contentType} is not decoded (PNG, JPEG and WebP are)`);
  const size = imageSize(bytes, contentType);
  if (!size) throw new VariantFailed(`its ${contentType} header cannot be read`);
  const mp = megapixels(size);
  if (mp > maxMegapixels) {
    throw new VariantSkipped(`${size.width}×${size.height} is ${mp.toFixed(1)} megapixels, over the cap of ${maxMegapixels}`);
  }
  return size;
}

/** The bytes as the decoders take them: their own buffer when the view covers all of it, else a copy. */
function bufferOf(bytes: Uint8Array): ArrayBuffer {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return (whole ? bytes.buffer : bytes.slice().buffer) as ArrayBuffer;
}

/** The thumbnail's size: the requested width (the image's own when narrower), the height in proportion. */
export function thumbnailSize(size: ImageSize, width: number): ImageSize {
  const w = Math.min(width, size.width);
  return { width: w, height: Math.max(1, Math.round((size.height * w) / size.width)) };
}

/**
 * Decodes an image whose size checkedSize accepted and encodes its variants.
 * A decoder that fails, or a picture of another size than its header said,
 * throws VariantFailed.
 */
export async function encodeVariants(
  bytes: Uint8Array,
  contentType: string,
  size: ImageSize,
  settings: VariantSettings,
): Promise<EncodedVariant[]> {
  const wanted = settings.thumbnailWidth !== null || (settings.webp && contentType !== "image/webp");
  if (!wanted) return [];
  let image: ImageData;
  try {
    image = await decoders[contentType](bufferOf(bytes));
  } catch (error) {
    throw new VariantFailed(`the ${contentType} decoder refused it: ${(error as Error).message || "corrupt data"}`);
  }
  if (image.width !== size.width || image.height !== size.height) {
    throw new VariantFailed(`it decoded to ${image.width}×${image.height}, not the ${size.width}×${size.height} of its header`);
  }
  await ready.webpEncoder();
  const variants: EncodedVariant[] = [];
  if (settings.thumbnailWidth !== null) {
    const target = thumbnailSize(size, settings.thumbnailWidth);
    if (target.width !== size.width) await ready.resize();
    const small = target.width === size.width ? image : await resize(image, target);
    variants.push({ kind: "thumb", bytes: new Uint8Array(await encodeWebp(small, thumbnailEncoding)), ...target });
  }
  if (settings.webp && contentType !== "image/webp") {
    variants.push({ kind: "webp", bytes: new Uint8Array(await encodeWebp(image, conversionEncoding)), ...size });
  }
  return variants;
}
