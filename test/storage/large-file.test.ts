// A 48 MiB object (just under the project's 50 MiB limit) streamed up and down, byte for byte. How much memory the
// server holds meanwhile is a figure for the benchmark, not a test assertion.
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type StorageHarness, dropBuckets, startStorage, uniqueBucket } from "./harness.ts";

const chunkSize = 1024 * 1024;
const chunks = 48;
const fileSize = chunkSize * chunks;
let h: StorageHarness;
const bucket = uniqueBucket("large");

beforeAll(async () => {
  h = await startStorage();
  await (await h.serviceClient()).createBucket(bucket);
});
afterAll(async () => {
  await dropBuckets(h.sql, [bucket]);
  await h.close();
});

function* content(): Generator<Buffer> {
  for (let i = 0; i < chunks; i++) yield Buffer.alloc(chunkSize, i % 251);
}

it("round-trips a 48 MiB streamed upload and download intact", async () => {
  const files = (await h.serviceClient()).from(bucket);
  const expected = createHash("md5");
  for (const chunk of content()) expected.update(chunk);
  const expectedMd5 = expected.digest("hex");

  const up = await files.upload("big/video.bin", Readable.from(content()), { contentType: "video/mp4" });
  expect(up.error).toBeNull();
  const [row] = await h.sql`select metadata from storage.objects where bucket_id = ${bucket} and name = 'big/video.bin'`;
  expect(row!.metadata).toMatchObject({ size: fileSize, eTag: `"${expectedMd5}"`, mimetype: "video/mp4" });

  let downloaded = 0;
  const actual = createHash("md5");
  const { data, error } = await files.download("big/video.bin").asStream();
  expect(error).toBeNull();
  for await (const chunk of data! as unknown as AsyncIterable<Uint8Array>) {
    downloaded += chunk.length;
    actual.update(chunk);
  }
  expect(downloaded).toBe(fileSize);
  expect(actual.digest("hex")).toBe(expectedMd5);
});
