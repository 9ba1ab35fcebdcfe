// An unexpected failure answers 500 and is logged, without the secrets a
// request's query can carry (signed URL tokens).
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StorageHarness, dropBuckets, startStorage, uniqueBucket } from "./harness.ts";

let h: StorageHarness;
const bucket = uniqueBucket("errors");

beforeAll(async () => {
  h = await startStorage();
  await (await h.serviceClient()).createBucket(bucket);
});
afterAll(async () => {
  await dropBuckets(h.sql, [bucket]);
  await h.close();
});

describe("unexpected failures", () => {
  it("answer 500 and log the path of a signed upload without its token", async () => {
    const path = "a/b.txt";
    const { token } = (await (await h.serviceClient()).from(bucket).createSignedUploadUrl(path)).data!;
    // Uploads are received into <dataDir>/tmp; a file in its place makes receiving fail.
    await rm(join(h.dataDir, "tmp"), { recursive: true });
    await writeFile(join(h.dataDir, "tmp"), "not a folder");

    const res = await fetch(`${h.url}/storage/v1/object/upload/sign/${bucket}/${path}?token=${token}`, { method: "PUT", headers: { "content-type": "text/plain" }, body: "x" });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ statusCode: "500", code: "InternalError", error: "Internal Server Error", message: "Internal Server Error" });

    const failures = h.logs.filter((line) => line.includes("failed"));
    expect(failures).toEqual([expect.stringMatching(new RegExp(`^storage: PUT /object/upload/sign/${bucket}/a/b\\.txt failed: Error: ENOTDIR`))]);
    expect(h.logs.join("\n")).not.toContain(token);
    expect(h.logs.join("\n")).not.toContain("token=");
    expect(await h.sql`select 1 from storage.objects where bucket_id = ${bucket}`).toHaveLength(0);
  });
});
