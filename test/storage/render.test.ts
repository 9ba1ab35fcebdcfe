// Image transformations at /render/image/{public,authenticated,sign}/…, the
// URLs storage-js makes for getPublicUrl, download and createSignedUrl with
// { transform }: sizes, resize modes, WebP for clients that accept it.
import { randomBytes } from "node:crypto";
import type { StorageClient } from "@supabase/storage-js";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StorageHarness, dropBuckets, startStorage, uniqueBucket } from "./harness.ts";

let h: StorageHarness;
let service: StorageClient;
const bucket = uniqueBucket("render");
const privateBucket = uniqueBucket("render-priv");
const aliceId = crypto.randomUUID();
let photo: Buffer;

beforeAll(async () => {
  h = await startStorage();
  service = await h.serviceClient();
  await service.createBucket(bucket, { public: true });
  await service.createBucket(privateBucket, { public: false });
  // 400×300 with a left half red and a right half blue, so crops show.
  photo = await sharp({ create: { width: 400, height: 300, channels: 3, background: "red" } })
    .composite([{ input: { create: { width: 200, height: 300, channels: 3, background: "blue" } }, left: 200, top: 0 }])
    .png().toBuffer();
  expect((await service.from(bucket).upload("photo.png", photo, { contentType: "image/png" })).error).toBeNull();
  expect((await service.from(privateBucket).upload(`${aliceId}/photo.png`, photo, { contentType: "image/png" })).error).toBeNull();
  const noise = await sharp(randomBytes(200 * 200 * 3), { raw: { width: 200, height: 200, channels: 3 } }).png().toBuffer();
  expect((await service.from(bucket).upload("noise.png", noise, { contentType: "image/png" })).error).toBeNull();
  expect((await service.from(bucket).upload("notes.txt", "not an image", { contentType: "text/plain" })).error).toBeNull();
});

afterAll(async () => {
  await dropBuckets(h.sql, [bucket, privateBucket]);
  await h.close();
});

async function fetched(url: string, accept = "image/png") {
  const res = await fetch(url, { headers: { accept } });
  const bytes = Buffer.from(await res.arrayBuffer());
  const meta = res.status === 200 ? await sharp(bytes).metadata() : null;
  return { status: res.status, type: res.headers.get("content-type"), width: meta?.width, height: meta?.height, format: meta?.format, bytes };
}

describe("image transformations", () => {
  it("resizes public images with cover (cropped), contain (fitted) and fill (stretched)", async () => {
    const url = (transform: object) => service.from(bucket).getPublicUrl("photo.png", { transform }).data.publicUrl;
    expect(url({ width: 100 })).toContain("/render/image/public/");
    expect(await fetched(url({ width: 100, height: 100, resize: "cover" }))).toMatchObject({ status: 200, type: "image/png", width: 100, height: 100 });
    expect(await fetched(url({ width: 100, height: 100, resize: "contain" }))).toMatchObject({ width: 100, height: 75 });
    expect(await fetched(url({ width: 100, height: 100, resize: "fill" }))).toMatchObject({ width: 100, height: 100 });
    expect(await fetched(url({ width: 200 }))).toMatchObject({ width: 200, height: 150 });
    // cover keeps the centre: both colours remain; a 1-pixel-wide crop of the left edge stays red
    const cover = await sharp((await fetched(url({ width: 10, height: 100, resize: "cover" }))).bytes).raw().toBuffer();
    expect(cover[0]).toBeGreaterThan(240);
    expect(cover[2]).toBeLessThan(15);
  });

  it("answers WebP to a client that accepts it, unless format=origin, and honours quality", async () => {
    const url = (transform: object) => service.from(bucket).getPublicUrl("photo.png", { transform }).data.publicUrl;
    const browser = "image/avif,image/webp,*/*";
    expect(await fetched(url({ width: 120 }), browser)).toMatchObject({ type: "image/webp", format: "webp", width: 120 });
    expect(await fetched(url({ width: 120, format: "origin" }), browser)).toMatchObject({ type: "image/png", format: "png" });
    const noisy = (quality: number) => service.from(bucket).getPublicUrl("noise.png", { transform: { width: 150, quality } }).data.publicUrl;
    const low = await fetched(noisy(20), browser);
    const high = await fetched(noisy(100), browser);
    expect(low.bytes.length).toBeLessThan(high.bytes.length);
  });

  it("transforms for the caller's own reads and for signed URLs, which keep the transformation they were signed with", async () => {
    const { data: blob, error } = await service.from(privateBucket).download(`${aliceId}/photo.png`, { transform: { width: 50, height: 50 } });
    expect(error).toBeNull();
    expect(await sharp(Buffer.from(await blob!.arrayBuffer())).metadata()).toMatchObject({ width: 50, height: 50 });
    const { data: signed } = await service.from(privateBucket).createSignedUrl(`${aliceId}/photo.png`, 60, { transform: { width: 64, height: 32, resize: "fill" } });
    expect(signed!.signedUrl).toContain("/render/image/sign/");
    expect(await fetched(signed!.signedUrl)).toMatchObject({ status: 200, width: 64, height: 32 });
    expect(await fetched(`${signed!.signedUrl}&width=300`)).toMatchObject({ width: 64, height: 32 });
    // A plain signed URL is not a render token for another object.
    const { data: plain } = await service.from(privateBucket).createSignedUrl(`${aliceId}/photo.png`, 60);
    expect(plain!.signedUrl).toContain("/object/sign/");
    const other = plain!.signedUrl.replace("/object/sign/", "/render/image/sign/").replace("photo.png", "other.png");
    expect((await fetched(other)).status).toBe(400);
  });

  it("refuses bad parameters, objects that are not images, private buckets on the public route and readers without access", async () => {
    const base = `${h.url}/storage/v1/render/image/public/${bucket}`;
    for (const query of ["width=0", "width=99999", "height=x", "resize=crop", "quality=5", "format=gif"]) {
      expect((await fetched(`${base}/photo.png?${query}`)).status, query).toBe(400);
    }
    const notImage = await fetch(`${base}/notes.txt?width=10`);
    expect(notImage.status).toBe(400);
    expect(await notImage.json()).toMatchObject({ message: "the object is not an image that can be transformed" });
    expect((await fetched(`${h.url}/storage/v1/render/image/public/${privateBucket}/${aliceId}/photo.png?width=10`)).status).toBe(400);
    const anon = await h.anonClient();
    expect((await anon.from(privateBucket).download(`${aliceId}/photo.png`, { transform: { width: 10 } })).error).not.toBeNull();
  });
});
