import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StorageClient } from "@supabase/storage-js";
import { type StorageHarness, dropBuckets, startStorage, uniqueBucket } from "./harness.ts";

let h: StorageHarness;
let service: StorageClient;
const privateBucket = uniqueBucket("obj-private");
const publicBucket = uniqueBucket("obj-public");

beforeAll(async () => {
  h = await startStorage();
  service = await h.serviceClient();
  await service.createBucket(privateBucket, { public: false });
  await service.createBucket(publicBucket, { public: true });
});
afterAll(async () => {
  await dropBuckets(h.sql, [privateBucket, publicBucket]);
  await h.close();
});

const md5 = async (text: string) => {
  const { createHash } = await import("node:crypto");
  return `"${createHash("md5").update(text).digest("hex")}"`;
};

describe("objects", () => {
  it("uploads a raw body and records the metadata the Storage API records", async () => {
    const files = service.from(privateBucket);
    const up = await files.upload("docs/readme.txt", "hello world", {
      contentType: "text/markdown",
      cacheControl: "60",
      metadata: { source: "test" },
    });
    expect(up.error).toBeNull();
    expect(up.data).toMatchObject({ path: "docs/readme.txt", fullPath: `${privateBucket}/docs/readme.txt` });
    const [row] = await h.sql`select id, owner, metadata, user_metadata from storage.objects
      where bucket_id = ${privateBucket} and name = 'docs/readme.txt'`;
    expect(row!.id).toBe(up.data!.id);
    expect(row!.metadata).toMatchObject({
      eTag: await md5("hello world"),
      size: 11,
      contentLength: 11,
      mimetype: "text/markdown",
      cacheControl: "max-age=60",
      httpStatusCode: 200,
    });
    expect(Number.isNaN(Date.parse(row!.metadata.lastModified))).toBe(false);
    expect(row!.user_metadata).toEqual({ source: "test" });

    const down = await files.download("docs/readme.txt");
    expect(await down.data!.text()).toBe("hello world");
    expect(down.data!.type).toBe("text/markdown");
  });

  it("uploads Blobs and FormData as multipart with the Blob's type", async () => {
    const files = service.from(privateBucket);
    const blob = new Blob([new Uint8Array([137, 80, 78, 71])], { type: "image/png" });
    expect((await files.upload("img/a.png", blob, { cacheControl: "120" })).error).toBeNull();
    const form = new FormData();
    form.append("file", new Blob(["form body"], { type: "text/csv" }), "b.csv");
    expect((await files.upload("img/b.csv", form, { metadata: { kind: "form" } })).error).toBeNull();

    const info = await files.info("img/a.png");
    expect(info.data).toMatchObject({ name: "img/a.png", size: 4, contentType: "image/png", cacheControl: "max-age=120" });
    const csv = await files.info("img/b.csv");
    expect(csv.data).toMatchObject({ size: 9, contentType: "text/csv", metadata: { kind: "form" } });
    expect(await (await files.download("img/b.csv")).data!.text()).toBe("form body");
  });

  it("refuses to overwrite without upsert and replaces with upsert or update", async () => {
    const files = service.from(privateBucket);
    const first = await files.upload("same.txt", "one");
    const again = await files.upload("same.txt", "two");
    expect(again.error).toMatchObject({ status: 400, statusCode: "409", code: "KeyAlreadyExists", message: "The resource already exists" });
    const raw = await fetch(`${h.url}/storage/v1/object/${privateBucket}/same.txt`, {
      method: "POST",
      headers: { authorization: `Bearer ${await h.sign({ role: "service_role" })}`, "content-type": "text/plain" },
      body: "raw",
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toEqual({ statusCode: "409", code: "KeyAlreadyExists", error: "Duplicate", message: "The resource already exists" });
    expect(await (await files.download("same.txt")).data!.text()).toBe("one");

    const upserted = await files.upload("same.txt", "three", { upsert: true });
    expect(upserted.data?.id).toBe(first.data!.id);
    expect(await (await files.download("same.txt")).data!.text()).toBe("three");
    expect((await files.update("same.txt", "four")).error).toBeNull();
    expect(await (await files.download("same.txt")).data!.text()).toBe("four");
    // Replaced versions leave no files behind.
    expect((await h.files()).filter((f) => f.includes("/same.txt/"))).toHaveLength(1);
  });

  it("serves public objects without a token, and only from public buckets", async () => {
    await service.from(publicBucket).upload("pics/p.txt", "public bytes");
    await service.from(privateBucket).upload("hidden.txt", "secret");
    const { publicUrl } = service.from(publicBucket).getPublicUrl("pics/p.txt").data;
    const res = await fetch(publicUrl);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("public bytes");
    expect(res.headers.get("etag")).toBe(await md5("public bytes"));

    const download = await fetch(service.from(publicBucket).getPublicUrl("pics/p.txt", { download: "named.txt" }).data.publicUrl);
    expect(download.headers.get("content-disposition")).toBe("attachment; filename=named.txt; filename*=UTF-8''named.txt;");

    const hidden = await fetch(service.from(privateBucket).getPublicUrl("hidden.txt").data.publicUrl);
    expect(hidden.status).toBe(400);
    expect(await hidden.json()).toMatchObject({ statusCode: "404", error: "Bucket not found" });
    const missing = await fetch(service.from(publicBucket).getPublicUrl("pics/none.txt").data.publicUrl);
    expect(await missing.json()).toMatchObject({ statusCode: "404", code: "NoSuchKey", message: "Object not found" });
  });

  it("answers HEAD, ranges and conditional requests", async () => {
    await service.from(publicBucket).upload("range.txt", "0123456789");
    const url = service.from(publicBucket).getPublicUrl("range.txt").data.publicUrl;
    const head = await fetch(url, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("10");
    const part = await fetch(url, { headers: { range: "bytes=2-5" } });
    expect(part.status).toBe(206);
    expect(await part.text()).toBe("2345");
    expect((await fetch(url, { headers: { range: "bytes=20-30" } })).status).toBe(416);
    const cached = await fetch(url, { headers: { "if-none-match": head.headers.get("etag")! } });
    expect(cached.status).toBe(304);
  });

  it("lists one folder level with folders, paging, sorting and search", async () => {
    const files = service.from(privateBucket);
    for (const name of ["list/b.txt", "list/a.txt", "list/c.txt", "list/sub/deep.txt", "list/sub/more/deeper.txt", "list/abc.txt"]) {
      expect((await files.upload(name, name)).error).toBeNull();
    }
    const all = await files.list("list");
    expect(all.data!.map((e) => e.name)).toEqual(["a.txt", "abc.txt", "b.txt", "c.txt", "sub"]);
    const folder = all.data!.find((e) => e.name === "sub")!;
    expect(folder).toEqual({ name: "sub", id: null, updated_at: null, created_at: null, last_accessed_at: null, metadata: null });
    expect(all.data![0]!.metadata).toMatchObject({ size: 10, mimetype: "text/plain;charset=UTF-8" });

    expect((await files.list("list/", { limit: 2, offset: 1 })).data!.map((e) => e.name)).toEqual(["abc.txt", "b.txt"]);
    expect((await files.list("list", { sortBy: { column: "name", order: "desc" } })).data!.map((e) => e.name)).toEqual([
      "sub",
      "c.txt",
      "b.txt",
      "abc.txt",
      "a.txt",
    ]);
    expect((await files.list("list", { search: "a" })).data!.map((e) => e.name)).toEqual(["a.txt", "abc.txt"]);
    expect((await files.list("list/sub")).data!.map((e) => e.name)).toEqual(["deep.txt", "more"]);
    expect((await files.list("nothing-here")).data).toEqual([]);
    expect((await files.list("list", { sortBy: { column: "size; drop table x", order: "asc" } })).error).toMatchObject({ status: 400 });
  });

  it("reports info and existence", async () => {
    const files = service.from(privateBucket);
    await files.upload("info/x.json", JSON.stringify({ a: 1 }), { contentType: "application/json" });
    const info = await files.info("info/x.json");
    expect(info.data).toMatchObject({ name: "info/x.json", bucketId: privateBucket, size: 7, contentType: "application/json" });
    expect(await files.exists("info/x.json")).toEqual({ data: true, error: null });
    expect((await files.exists("info/nope.json")).data).toBe(false);
    expect((await files.info("info/nope.json")).error).toMatchObject({ status: 400, statusCode: "404", code: "NoSuchKey" });
    // A missing bucket is reported as such, not as a missing object.
    expect((await service.from(uniqueBucket("obj-missing")).info("info/x.json")).error).toMatchObject({
      status: 400,
      statusCode: "404",
      code: "NoSuchBucket",
      message: "Bucket not found",
    });
    const head = await fetch(`${h.url}/storage/v1/object/${privateBucket}/info/x.json`, {
      method: "HEAD",
      headers: { authorization: `Bearer ${await h.sign({ role: "service_role" })}` },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toBe("application/json");
  });

  it("moves and copies objects, within and across buckets", async () => {
    const files = service.from(privateBucket);
    await files.upload("mv/src.txt", "moving", { metadata: { m: 1 } });
    expect((await files.move("mv/src.txt", "mv/dst.txt")).data).toEqual({ message: "Successfully moved" });
    expect((await files.exists("mv/src.txt")).data).toBe(false);
    expect(await (await files.download("mv/dst.txt")).data!.text()).toBe("moving");

    expect((await files.copy("mv/dst.txt", "mv/copy.txt")).data).toEqual({ path: `${privateBucket}/mv/copy.txt` });
    expect((await files.info("mv/copy.txt")).data).toMatchObject({ metadata: { m: 1 }, size: 6 });
    expect((await files.copy("mv/dst.txt", "mv/copy.txt")).error).toMatchObject({ statusCode: "409" });
    expect((await files.copy("mv/dst.txt", "mv/copy.txt", { destinationBucket: publicBucket })).error).toBeNull();
    expect(await (await fetch(service.from(publicBucket).getPublicUrl("mv/copy.txt").data.publicUrl)).text()).toBe("moving");

    expect((await files.move("mv/dst.txt", "mv/copy.txt")).error).toMatchObject({ statusCode: "409" });
    expect((await files.move("mv/missing.txt", "mv/other.txt")).error).toMatchObject({ statusCode: "404" });
    expect((await files.move("mv/dst.txt", "moved.txt", { destinationBucket: publicBucket })).error).toBeNull();
    expect(await (await fetch(service.from(publicBucket).getPublicUrl("moved.txt").data.publicUrl)).text()).toBe("moving");
    expect((await h.files()).some((f) => f.includes("/mv/dst.txt/"))).toBe(false);
  });

  it("removes up to 1000 objects per request and deletes their files", async () => {
    const files = service.from(privateBucket);
    await files.upload("rm/1.txt", "1");
    await files.upload("rm/2.txt", "2");
    const removed = await files.remove(["rm/1.txt", "rm/2.txt", "rm/not-there.txt"]);
    expect(removed.data!.map((r) => r.name).sort()).toEqual(["rm/1.txt", "rm/2.txt"]);
    expect((await files.list("rm")).data).toEqual([]);
    expect((await h.files()).some((f) => f.includes("/rm/"))).toBe(false);
    const tooMany = Array.from({ length: 1001 }, (_, i) => `rm/${i}`);
    expect((await files.remove(tooMany)).error).toMatchObject({ status: 400, statusCode: "400" });
  });
});
