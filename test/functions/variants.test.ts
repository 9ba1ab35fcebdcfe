// The webhook's image variants: sizes read from headers (Node, the module is
// plain TypeScript), and the variants step run under Deno with its wasm
// codecs (test/deno/variants-runner.ts), its WebP output decoded again here
// by sharp, an independent decoder.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { denoBin, denoEnv } from "../../local/bin/deno.mjs";
import { repoRoot } from "../../local/stack/config.ts";
import { imageSize } from "../../supabase/functions/_shared/image-header.ts";
import { variantLimits, type VariantFileRef } from "../../supabase/functions/_shared/variant-files.ts";

/** A picture with detail in it (gradients and stripes), so encoders have work to do. */
function picture(width: number, height: number, format: "png" | "jpeg" | "webp" | "gif"): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      pixels[i] = (x * 255) / width;
      pixels[i + 1] = (y * 255) / height;
      pixels[i + 2] = ((x >> 3) + (y >> 3)) % 2 ? 200 : 40;
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).toFormat(format).toBuffer();
}

/** A PNG signature and IHDR claiming `width`×`height`, and nothing else: a decompression bomb's header. */
function pngHeaderOnly(width: number, height: number): Buffer {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write("IHDR", 12, "latin1");
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  b[24] = 8; // bit depth
  b[25] = 6; // RGBA
  return b;
}

describe("imageSize", () => {
  it("reads width and height from PNG, JPEG and WebP headers (lossy, lossless and extended)", async () => {
    expect(imageSize(await picture(300, 200, "png"), "image/png")).toEqual({ width: 300, height: 200 });
    expect(imageSize(await picture(301, 199, "jpeg"), "image/jpeg")).toEqual({ width: 301, height: 199 });
    expect(imageSize(await picture(123, 45, "webp"), "image/webp")).toEqual({ width: 123, height: 45 });
    const lossless = await sharp(await picture(77, 66, "png")).webp({ lossless: true }).toBuffer();
    expect(imageSize(lossless, "image/webp")).toEqual({ width: 77, height: 66 });
    const withAlpha = await sharp(await picture(50, 40, "png")).ensureAlpha(0.5).webp().toBuffer();
    expect(imageSize(withAlpha, "image/webp")).toEqual({ width: 50, height: 40 });
    expect(imageSize(pngHeaderOnly(100_000, 100_000), "image/png")).toEqual({ width: 100_000, height: 100_000 });
  });

  it("finds a JPEG's frame header after EXIF and other segments", async () => {
    const jpeg = await sharp(await picture(64, 48, "png")).withMetadata({ exif: { IFD0: { Copyright: "pgpod" } } }).jpeg().toBuffer();
    expect(imageSize(jpeg, "image/jpeg")).toEqual({ width: 64, height: 48 });
  });

  it("answers null for headers cut short, of another format, or claiming zero pixels", async () => {
    const png = await picture(10, 10, "png");
    expect(imageSize(png.subarray(0, 20), "image/png")).toBeNull();
    expect(imageSize((await picture(10, 10, "jpeg")).subarray(0, 40), "image/jpeg")).toBeNull();
    expect(imageSize((await picture(10, 10, "webp")).subarray(0, 20), "image/webp")).toBeNull();
    expect(imageSize(png, "image/jpeg")).toBeNull();
    expect(imageSize(png, "image/gif")).toBeNull();
    expect(imageSize(pngHeaderOnly(0, 10), "image/png")).toBeNull();
    expect(imageSize(Buffer.from("not an image at all, just text"), "image/webp")).toBeNull();
  });
});

interface Upload {
  bucket: string;
  path: string;
  contentType: string;
  base64: string;
}
type RunnerResult = { refs: VariantFileRef[]; uploads: Upload[]; remainingMegapixels: number } | { thrown: string; message: string };

const settings = { thumbnailWidth: 64, webp: true, maxMegapixels: variantLimits.maxMegapixels };

function original(index: number, filename: string, bytes: Buffer | null, contentType = "image/png") {
  return {
    ref: { index, filename, bucket: "outputs", path: `owner/ep/job/${filename}`, content_type: contentType, size: bytes?.length ?? 0, sha256: null },
    base64: bytes === null ? null : bytes.toString("base64"),
  };
}

function runVariants(request: Record<string, unknown>): RunnerResult {
  const run = spawnSync(
    denoBin,
    ["run", "--cached-only", "--allow-read", "--config", join(repoRoot, "supabase/functions/pgpod-webhook/deno.json"), join(repoRoot, "test/deno/variants-runner.ts")],
    { cwd: repoRoot, env: denoEnv(), input: JSON.stringify(request), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  if (run.status !== 0) throw new Error(`variants runner failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as RunnerResult;
}

function succeeded(result: RunnerResult) {
  if ("thrown" in result) throw new Error(`runner threw ${result.thrown}: ${result.message}`);
  return result;
}

describe("withVariants under Deno", () => {
  it("stores a WebP thumbnail of the set width and a full-size WebP beside each image, listed after the originals", { timeout: 60_000 }, async () => {
    const wide = await picture(320, 200, "png");
    const photo = await picture(200, 300, "jpeg");
    const { refs, uploads } = succeeded(runVariants({
      settings,
      originals: [original(0, "wide.png", wide), original(1, "notes.txt", Buffer.from("hi"), "text/plain"), original(2, "photo.jpg", photo, "image/jpeg")],
    }));
    expect(refs.map((r) => [r.index, r.filename, r.variant ?? null, r.variant_of ?? null])).toEqual([
      [0, "wide.png", null, null],
      [1, "notes.txt", null, null],
      [2, "photo.jpg", null, null],
      [3, "wide_thumb.webp", "thumb", 0],
      [4, "wide.webp", "webp", 0],
      [5, "photo_thumb.webp", "thumb", 2],
      [6, "photo.webp", "webp", 2],
    ]);
    expect(uploads.map((u) => u.path)).toEqual(refs.slice(3).map((r) => r.path));
    expect(refs[3].path).toBe("owner/ep/job/wide_thumb.webp");
    const sizes: Array<[number, number]> = [[64, 40], [320, 200], [64, 96], [200, 300]];
    for (const [i, upload] of uploads.entries()) {
      const bytes = Buffer.from(upload.base64, "base64");
      expect(upload.contentType).toBe("image/webp");
      const meta = await sharp(bytes).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(["webp", ...sizes[i]]);
      const ref = refs[3 + i];
      expect(ref).toMatchObject({ content_type: "image/webp", size: bytes.length, bucket: "outputs" });
      expect(ref.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    // The thumbnail is the picture, not noise: its mean colour matches the original's.
    const mean = async (b: Buffer) => (await sharp(b).stats()).channels.slice(0, 3).map((c) => Math.round(c.mean / 16));
    expect(await mean(Buffer.from(uploads[0].base64, "base64"))).toEqual(await mean(wide));
  });

  it("keeps a narrow image's own width for its thumbnail and makes no WebP conversion of a WebP", { timeout: 60_000 }, async () => {
    const { refs, uploads } = succeeded(runVariants({ settings: { ...settings, thumbnailWidth: 256 }, originals: [original(0, "small.webp", await picture(100, 50, "webp"), "image/webp")] }));
    expect(refs.map((r) => r.filename)).toEqual(["small.webp", "small_thumb.webp"]);
    const meta = await sharp(Buffer.from(uploads[0].base64, "base64")).metadata();
    expect([meta.width, meta.height]).toEqual([100, 50]);
  });

  it("skips an image over the cap from its header alone, without decoding it, and records why on the original", { timeout: 60_000 }, async () => {
    const bomb = pngHeaderOnly(50_000, 50_000);
    const { refs, uploads, remainingMegapixels } = succeeded(runVariants({ settings: { ...settings, maxMegapixels: 1 }, originals: [original(0, "bomb.png", bomb), original(1, "big.png", await picture(1100, 1000, "png"))] }));
    expect(uploads).toEqual([]);
    expect(refs).toHaveLength(2);
    expect(refs[0].variants_skipped).toBe("50000×50000 is 2500.0 megapixels, over the cap of 1");
    expect(refs[1].variants_skipped).toBe("1100×1000 is 1.1 megapixels, over the cap of 1");
    expect(remainingMegapixels).toBe(variantLimits.deliveryMegapixels);
  });

  it("records a corrupt image, a lying header and an unreadable header as failures, and still makes the others' variants", { timeout: 60_000 }, async () => {
    const good = await picture(80, 60, "png");
    const truncated = good.subarray(0, Math.floor(good.length / 2));
    const lying = Buffer.from(good);
    lying.writeUInt32BE(81, 16); // IHDR width no longer matches the data (and its CRC fails)
    const { refs, uploads } = succeeded(runVariants({
      settings,
      originals: [
        original(0, "truncated.png", truncated),
        original(1, "lying.png", lying),
        original(2, "garbage.jpg", Buffer.from("\xff\xd8 definitely not a jpeg", "latin1"), "image/jpeg"),
        original(3, "good.png", good),
      ],
    }));
    expect(refs[0].variants_failed).toMatch(/^the image\/png decoder refused it: /);
    expect(refs[1].variants_failed).toMatch(/^(the image\/png decoder refused it: |it decoded to )/);
    expect(refs[2].variants_failed).toBe("its image/jpeg header cannot be read");
    expect(refs[3].variants_failed).toBeUndefined();
    expect(refs.slice(4).map((r) => [r.filename, r.variant_of])).toEqual([["good_thumb.webp", 3], ["good.webp", 3]]);
    expect(uploads).toHaveLength(2);
  });

  it("skips formats it does not decode, worker uploads, and images past the delivery's budget", { timeout: 60_000 }, async () => {
    const { refs } = succeeded(runVariants({
      settings: { thumbnailWidth: 32, webp: false, maxMegapixels: 1.5 },
      originals: [
        original(0, "anim.gif", await picture(20, 20, "gif"), "image/gif"),
        original(1, "uploaded.png", null),
        original(2, "a.png", await picture(1400, 1000, "png")),
        original(3, "b.png", await picture(1400, 1000, "png")),
        original(4, "c.png", await picture(1400, 1000, "png")),
      ],
    }));
    expect(refs[0].variants_skipped).toBe("image/gif is not decoded (PNG, JPEG and WebP are)");
    expect(refs[1].variants_skipped).toBe("uploaded by the worker, so its bytes never passed through pgpod");
    expect(refs[2].variants_skipped ?? refs[3].variants_skipped).toBeUndefined();
    expect(refs[4].variants_skipped).toBe(`the delivery's budget of ${variantLimits.deliveryMegapixels} megapixels for variants is spent`);
    expect(refs.slice(5).map((r) => r.filename)).toEqual(["a_thumb.webp", "b_thumb.webp"]);
  });

  it("never overwrites an original: a variant whose name is taken gets the original's index in front", { timeout: 60_000 }, async () => {
    const { refs } = succeeded(runVariants({
      settings,
      originals: [original(0, "x.png", await picture(40, 40, "png")), original(1, "x_thumb.webp", await picture(40, 40, "webp"), "image/webp")],
    }));
    expect(refs.map((r) => r.filename)).toEqual(["x.png", "x_thumb.webp", "0-x_thumb.webp", "x.webp", "x_thumb_thumb.webp"]);
  });

  it("records a variant Storage refuses as a failure, and throws when Storage is down", { timeout: 60_000 }, async () => {
    const png = await picture(40, 40, "png");
    const refused = succeeded(runVariants({ settings, originals: [original(0, "x.png", png)], refuse: ["owner/ep/job/x.webp"] }));
    expect(refused.refs.map((r) => r.filename)).toEqual(["x.png", "x_thumb.webp"]);
    expect(refused.refs[0].variants_failed).toBe("Storage upload of outputs/owner/ep/job/x.webp failed (415): mime type not supported");
    expect(runVariants({ settings, originals: [original(0, "x.png", png)], down: true })).toMatchObject({ thrown: "TransientError" });
  });
});
