// `npm run import-files` against the local stack's Storage: content types from
// the bytes, checksums, a dry run that changes nothing, conflicts left alone,
// and an import interrupted by a failure that resumes from its manifest.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StorageClient } from "@supabase/storage-js";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../local/stack/config.ts";
import { stack } from "../support/stack.ts";

const env = stack();
const storage = new StorageClient(`${env.SUPABASE_URL}/storage/v1`, {
  apikey: env.SUPABASE_SERVICE_ROLE_KEY,
  authorization: `Bearer ${env.SUPABASE_SERVICE_ROLE_KEY}`,
});
const png = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489", "hex");

function importFiles(...args: string[]) {
  const result = spawnSync(process.execPath, [join(repoRoot, "local", "bin", "run.mjs"), "import-files", ...args], {
    cwd: repoRoot, encoding: "utf8", env: { ...process.env, CI: "true" },
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

async function newBucket(options: { fileSizeLimit?: number } = {}): Promise<string> {
  const id = `import-${Math.random().toString(36).slice(2, 8)}`;
  expect((await storage.createBucket(id, { public: false, ...options })).error).toBeNull();
  return id;
}

function folder(files: Record<string, Buffer | string>): string {
  const dir = mkdtempSync(join(tmpdir(), "pgpod-import-"));
  for (const [name, bytes] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), bytes);
  }
  return dir;
}

async function stored(bucket: string, key: string): Promise<{ bytes: string; type: string } | null> {
  const { data, error } = await storage.from(bucket).download(key);
  return error ? null : { bytes: Buffer.from(await data.arrayBuffer()).toString("hex"), type: data.type };
}

describe("npm run import-files", () => {
  it("dry-runs without changing anything, then uploads typed by the bytes and leaves conflicts alone", async () => {
    const bucket = await newBucket();
    const dir = folder({ "same.txt": "same", "other.txt": "mine", "renders/picture.dat": png });
    await storage.from(bucket).upload("old/same.txt", "same", { contentType: "text/plain" });
    await storage.from(bucket).upload("old/other.txt", "theirs", { contentType: "text/plain" });

    const dry = importFiles(dir, "--bucket", bucket, "--prefix", "/old/", "--dry-run");
    expect(dry.code).toBe(1);
    expect(dry.out.split("\n")).toEqual([
      `conflict ${bucket}/old/other.txt text/plain 4 bytes (Storage holds other bytes; left as it is)`,
      `upload   ${bucket}/old/renders/picture.dat image/png 33 bytes`,
      `skip     ${bucket}/old/same.txt text/plain 4 bytes`,
      "dry run, nothing changed: 3 files: 1 would upload, 1 skipped, 1 conflicting, 0 failed",
      "",
    ]);
    expect(await stored(bucket, "old/renders/picture.dat")).toBeNull();
    expect(existsSync(join(dir, ".pgpod-import.json"))).toBe(false);

    const run = importFiles(dir, "--bucket", bucket, "--prefix", "old");
    expect(run.code).toBe(1);
    expect(run.out).toContain("3 files: 1 uploaded (0.0 MB, checksums verified), 1 skipped, 1 conflicting, 0 failed");
    expect(run.err).toContain(`conflict ${bucket}/old/other.txt (Storage holds other bytes; left as it is)`);
    expect(await stored(bucket, "old/renders/picture.dat")).toEqual({ bytes: png.toString("hex"), type: "image/png" });
    expect((await stored(bucket, "old/other.txt"))!.bytes).toBe(Buffer.from("theirs").toString("hex"));
  });

  it("resumes an import interrupted by a failure from its manifest, and changes nothing when run again", async () => {
    const bucket = await newBucket({ fileSizeLimit: 1000 });
    const dir = folder({ "a.txt": "first", "b/big.bin": Buffer.alloc(5000, 1), "c.txt": "third" });
    const first = importFiles(dir, "--bucket", bucket);
    expect(first.code).toBe(1);
    expect(first.out).toContain("3 files: 2 uploaded (0.0 MB, checksums verified), 0 skipped, 0 conflicting, 1 failed");
    expect(first.err).toMatch(new RegExp(`failed ${bucket}/b/big\\.bin: .*(size|large)`, "i"));
    const manifest = JSON.parse(readFileSync(join(dir, ".pgpod-import.json"), "utf8"));
    expect(Object.keys(manifest.files).sort()).toEqual(["a.txt", "c.txt"]);

    expect((await storage.updateBucket(bucket, { public: false, fileSizeLimit: 10_000 })).error).toBeNull();
    const resumed = importFiles(dir, "--bucket", bucket);
    expect(resumed.code).toBe(0);
    expect(resumed.out).toContain("3 files: 1 uploaded (0.0 MB, checksums verified), 2 skipped, 0 conflicting, 0 failed");
    expect((await stored(bucket, "b/big.bin"))!.bytes).toBe(Buffer.alloc(5000, 1).toString("hex"));

    const again = importFiles(dir, "--bucket", bucket);
    expect(again.out).toContain("3 files: 0 uploaded (0.0 MB, checksums verified), 3 skipped, 0 conflicting, 0 failed");
    // Without its manifest the same objects are recognised by their checksums.
    rmSync(join(dir, ".pgpod-import.json"));
    const fresh = importFiles(dir, "--bucket", bucket);
    expect(fresh.out).toContain("0 uploaded (0.0 MB, checksums verified), 3 skipped");
  }, 60_000);

  it("refuses a missing bucket option, a folder that is not there and an unknown bucket, changing nothing", async () => {
    const dir = folder({ "a.txt": "x" });
    expect(importFiles(dir)).toMatchObject({ code: 1, err: expect.stringContaining("usage: npm run import-files") });
    expect(importFiles(join(dir, "nope"), "--bucket", "x")).toMatchObject({ code: 1, err: expect.stringContaining("is not a directory") });
    const unknown = importFiles(dir, "--bucket", "no-such-bucket-here");
    expect(unknown).toMatchObject({ code: 1, err: expect.stringContaining('bucket "no-such-bucket-here"') });
    expect(existsSync(join(dir, ".pgpod-import.json"))).toBe(false);
  });
});
