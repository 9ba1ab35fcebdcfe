// A 60 MB object streamed up and down: the server writes and reads it in
// chunks, so the process's memory does not grow by the file's size.
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type StorageHarness, dropBuckets, startStorage, uniqueBucket } from "./harness.ts";

const chunkSize = 1024 * 1024;
const chunks = 60;
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

// Collecting before each sample keeps already-freed chunks out of the figure,
// so it shows what is held, not what the collector has not reached yet.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

function liveRss(): number {
  collectGarbage();
  return process.memoryUsage.rss();
}

/** Highest RSS seen while `work` runs, sampled every 50 ms. */
async function peakRss(work: () => Promise<void>): Promise<number> {
  let peak = liveRss();
  const timer = setInterval(() => (peak = Math.max(peak, liveRss())), 50);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, liveRss());
}

it("streams a 60 MB upload and download without holding the file in memory", async () => {
  const files = (await h.serviceClient()).from(bucket);
  const expected = createHash("md5");
  for (const chunk of content()) expected.update(chunk);
  const expectedMd5 = expected.digest("hex");

  const baseline = liveRss();
  const uploadPeak = await peakRss(async () => {
    const up = await files.upload("big/video.bin", Readable.from(content()), { contentType: "video/mp4" });
    expect(up.error).toBeNull();
  });
  const [row] = await h.sql`select metadata from storage.objects where bucket_id = ${bucket} and name = 'big/video.bin'`;
  expect(row!.metadata).toMatchObject({ size: fileSize, eTag: `"${expectedMd5}"`, mimetype: "video/mp4" });

  let downloaded = 0;
  const actual = createHash("md5");
  const downloadPeak = await peakRss(async () => {
    const { data, error } = await files.download("big/video.bin").asStream();
    expect(error).toBeNull();
    for await (const chunk of data! as unknown as AsyncIterable<Uint8Array>) {
      downloaded += chunk.length;
      actual.update(chunk);
    }
  });
  expect(downloaded).toBe(fileSize);
  expect(actual.digest("hex")).toBe(expectedMd5);

  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  console.log(
    `storage large file: ${mb(fileSize)} MB; RSS baseline ${mb(baseline)} MB, ` +
      `peak during upload +${mb(uploadPeak - baseline)} MB, during download +${mb(downloadPeak - baseline)} MB`,
  );
  expect(uploadPeak - baseline).toBeLessThan(fileSize);
  expect(downloadPeak - baseline).toBeLessThan(fileSize);
});
