// The project's global file size limit ([storage] file_size_limit in
// supabase/config.toml, 50 MiB here as on the Free plan) caps every upload:
// raw, multipart and signed, whatever a bucket's own limit says.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { StorageClient } from "@supabase/storage-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectFileSizeLimit } from "../../local/storage/project-limits.ts";
import { type StorageHarness, dropBuckets, projectConfigFile, startStorage, uniqueBucket } from "./harness.ts";

const mib = 1024 * 1024;
const tooLarge = { status: 400, statusCode: "413", code: "EntityTooLarge", message: "The object exceeded the maximum allowed size" };

describe("reading the limit", () => {
  it("is the repo's config.toml [storage] file_size_limit, 50 MiB", () => {
    expect(projectFileSizeLimit(projectConfigFile)).toBe(50 * mib);
  });

  it("reads units as the Supabase CLI does and falls back to the CLI default of 50 MiB", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pgpod-limit-"));
    try {
      const config = join(dir, "config.toml");
      await writeFile(config, '[storage]\nfile_size_limit = "1GiB"\n');
      expect(projectFileSizeLimit(config)).toBe(1024 * mib);
      await writeFile(config, "[storage]\nenabled = true\n");
      expect(projectFileSizeLimit(config)).toBe(50 * mib);
      await writeFile(config, '[storage]\nfile_size_limit = "lots"\n');
      expect(() => projectFileSizeLimit(config)).toThrow(/invalid file_size_limit/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("with the project's 50 MiB limit", () => {
  let h: StorageHarness;
  const bucket = uniqueBucket("limit-project");
  beforeAll(async () => {
    h = await startStorage();
    await (await h.serviceClient()).createBucket(bucket);
  });
  afterAll(async () => {
    await dropBuckets(h.sql, [bucket]);
    await h.close();
  });

  it("refuses an upload of 50 MiB and one byte with the real error, and keeps nothing", async () => {
    const files = (await h.serviceClient()).from(bucket);
    const upload = await files.upload("over.bin", Buffer.alloc(50 * mib + 1), { contentType: "application/octet-stream" });
    expect(upload.error).toMatchObject(tooLarge);
    expect(await h.files()).toEqual([]);
  });
});

describe("with a small global limit", () => {
  let h: StorageHarness;
  let service: StorageClient;
  const roomy = uniqueBucket("limit-roomy");
  beforeAll(async () => {
    h = await startStorage({ fileSizeLimit: 1000 });
    service = await h.serviceClient();
    // The bucket allows far more than the project does.
    await service.createBucket(roomy, { public: false, fileSizeLimit: "1GB" });
  });
  afterAll(async () => {
    await dropBuckets(h.sql, [roomy]);
    await h.close();
  });

  it("caps raw, multipart and streamed uploads below a bucket's larger limit", async () => {
    const files = service.from(roomy);
    expect((await files.upload("fits.bin", Buffer.alloc(1000))).error).toBeNull();
    expect((await files.upload("raw.bin", Buffer.alloc(1001))).error).toMatchObject(tooLarge);
    expect((await files.upload("form.bin", new Blob([new Uint8Array(1001)]))).error).toMatchObject(tooLarge);
    const streamed = await files.upload("stream.bin", Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), {
      contentType: "application/octet-stream",
    });
    expect(streamed.error).toMatchObject(tooLarge);
    expect(await h.files()).toEqual([expect.stringMatching(/\/fits\.bin\//)]);
  });

  it("caps uploads to a signed upload URL too", async () => {
    const files = service.from(roomy);
    const signed = await files.createSignedUploadUrl("signed.bin");
    const worker = (await h.anonClient()).from(roomy);
    expect((await worker.uploadToSignedUrl("signed.bin", signed.data!.token, Buffer.alloc(1001))).error).toMatchObject(tooLarge);
    expect((await worker.uploadToSignedUrl("signed.bin", signed.data!.token, Buffer.alloc(10))).error).toBeNull();
  });
});
