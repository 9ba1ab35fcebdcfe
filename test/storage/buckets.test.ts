import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StorageClient } from "@supabase/storage-js";
import { type StorageHarness, dropBuckets, startStorage, uniqueBucket } from "./harness.ts";

let h: StorageHarness;
let service: StorageClient;
const created: string[] = [];
const bucket = (label: string) => {
  const id = uniqueBucket(`b-${label}`);
  created.push(id);
  return id;
};

beforeAll(async () => {
  h = await startStorage();
  service = await h.serviceClient();
});
afterAll(async () => {
  await dropBuckets(h.sql, created);
  await h.close();
});

describe("buckets", () => {
  it("creates, reads, lists, updates, empties and deletes a bucket", async () => {
    const id = bucket("crud");
    expect(await service.createBucket(id, { public: false, fileSizeLimit: "1MB", allowedMimeTypes: ["image/*"] })).toEqual({
      data: { name: id },
      error: null,
    });
    const got = await service.getBucket(id);
    expect(got.data).toMatchObject({ id, name: id, public: false, file_size_limit: 1_000_000, allowed_mime_types: ["image/*"] });

    const listed = await service.listBuckets({ search: id });
    expect(listed.data?.map((b) => b.id)).toEqual([id]);

    expect((await service.updateBucket(id, { public: true, fileSizeLimit: 2048, allowedMimeTypes: null })).data).toEqual({
      message: "Successfully updated",
    });
    expect((await service.getBucket(id)).data).toMatchObject({ public: true, file_size_limit: 2048, allowed_mime_types: null });

    await service.from(id).upload("x/one.txt", "1");
    await service.from(id).upload("two.txt", "2");
    const notEmpty = await service.deleteBucket(id);
    expect(notEmpty.error).toMatchObject({ status: 400, statusCode: "409", message: "The bucket you tried to delete is not empty" });

    expect((await service.emptyBucket(id)).data).toEqual({ message: "Successfully emptied" });
    expect((await service.from(id).list()).data).toEqual([]);
    expect((await service.deleteBucket(id)).data).toEqual({ message: "Successfully deleted" });
    expect((await service.getBucket(id)).error).toMatchObject({ statusCode: "404", message: "Bucket not found" });
    expect(await h.files()).toEqual([]);
  });

  it("refuses a duplicate, an invalid name and unknown buckets", async () => {
    const id = bucket("dup");
    await service.createBucket(id);
    expect((await service.createBucket(id)).error).toMatchObject({ status: 400, statusCode: "409" });
    for (const name of ["..", "a/b", " lead", "semi\u0000colon"]) {
      expect((await service.createBucket(name)).error, name).toMatchObject({ status: 400, code: "InvalidBucketName" });
    }
    expect((await service.updateBucket(`${id}-missing`, { public: true })).error).toMatchObject({ statusCode: "404" });
    expect((await service.deleteBucket(`${id}-missing`)).error).toMatchObject({ statusCode: "404" });
    expect((await service.from(`${id}-missing`).upload("a.txt", "x")).error).toMatchObject({ statusCode: "404", message: "Bucket not found" });
  });

  it("lets only roles granted the table manage buckets", async () => {
    const anon = await h.anonClient();
    const user = await h.userClient(crypto.randomUUID());
    const id = bucket("roles");
    expect((await user.createBucket(id)).error).toMatchObject({ status: 400, statusCode: "403" });
    expect((await anon.createBucket(id)).error).toMatchObject({ status: 400, statusCode: "403" });
    await service.createBucket(id);
    // No SELECT policy on storage.buckets: other roles see no buckets.
    expect((await user.listBuckets()).data).toEqual([]);
    expect((await user.getBucket(id)).error).toMatchObject({ statusCode: "404" });
    expect((await user.deleteBucket(id)).error).toMatchObject({ status: 400 });
    expect((await service.getBucket(id)).data?.id).toBe(id);
  });
});
