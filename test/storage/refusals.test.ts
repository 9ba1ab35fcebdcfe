// Bad input gets a clear 4xx and leaves nothing behind: unsafe keys, bucket
// limits on size and content type.
import { request } from "node:http";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StorageClient } from "@supabase/storage-js";
import { type StorageHarness, dropBuckets, startStorage, uniqueBucket } from "./harness.ts";

let h: StorageHarness;
let service: StorageClient;
let serviceToken: string;
const open = uniqueBucket("ref-open");
const limited = uniqueBucket("ref-limited");

beforeAll(async () => {
  h = await startStorage();
  serviceToken = await h.sign({ role: "service_role" });
  service = h.client(serviceToken);
  await service.createBucket(open);
  await service.createBucket(limited, { public: false, fileSizeLimit: 10, allowedMimeTypes: ["image/*", "text/csv"] });
});
afterAll(async () => {
  await dropBuckets(h.sql, [open, limited]);
  await h.close();
});

/** Sends `path` byte for byte (fetch would normalise `..` away before sending). */
function rawUpload(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const { hostname, port } = new URL(h.url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method: "POST", headers: { authorization: `Bearer ${serviceToken}`, "content-type": "text/plain" } }, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on("error", reject);
    req.end("payload");
  });
}

describe("unsafe object keys", () => {
  it.each([
    ["parent segments", "../../escape.txt"],
    ["encoded parent segments", "%2e%2e/%2E%2E/escape.txt"],
    ["a dot segment", "a/./b.txt"],
    ["an absolute path", "/etc/passwd"],
    ["an empty segment", "a//b.txt"],
    ["a NUL byte", "a%00b.txt"],
    ["a newline", "a%0Ab.txt"],
    ["a backslash", "a%5C..%5Cb.txt"],
    ["a malformed escape", "a%E0%A4%A.txt"],
  ])("refuses %s", async (_label, key) => {
    const res = await rawUpload(`/storage/v1/object/${open}/${key}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: "400", code: "InvalidKey" });
    expect(await h.files()).toEqual([]);
  });

  it("refuses bad bucket names in object routes", async () => {
    const res = await rawUpload(`/storage/v1/object/..%2F/x.txt`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: "400" });
    expect((await service.from("bad\u0001name").upload("x.txt", "x")).error).toMatchObject({ status: 400, code: "InvalidBucketName" });
    expect((await service.from(open).move("ok.txt", "../up.txt")).error).toMatchObject({ code: "InvalidKey" });
  });
});

describe("bucket limits", () => {
  it("refuses files over file_size_limit as raw, multipart and chunked bodies", async () => {
    const files = service.from(limited);
    expect((await files.upload("fits.csv", "0123456789", { contentType: "text/csv" })).error).toBeNull();
    const tooBig = await files.upload("big.csv", "0123456789A", { contentType: "text/csv" });
    expect(tooBig.error).toMatchObject({ status: 400, statusCode: "413", message: "The object exceeded the maximum allowed size" });
    const blob = await files.upload("big.png", new Blob([new Uint8Array(11)], { type: "image/png" }));
    expect(blob.error).toMatchObject({ statusCode: "413" });
    // No content-length: the limit is enforced while streaming.
    const chunked = await files.upload("chunked.csv", Readable.from([Buffer.alloc(6), Buffer.alloc(6)]), { contentType: "text/csv" });
    expect(chunked.error).toMatchObject({ statusCode: "413" });
    expect(await h.files()).toEqual([expect.stringMatching(/\/fits\.csv\//)]);
    expect((await files.list()).data!.map((e) => e.name)).toEqual(["fits.csv"]);
  });

  it("refuses content types outside allowed_mime_types, wildcards included", async () => {
    const files = service.from(limited);
    const text = await files.upload("note.txt", "x", { contentType: "text/plain" });
    expect(text.error).toMatchObject({ status: 400, statusCode: "415", code: "InvalidMimeType", message: "mime type text/plain is not supported" });
    const blob = await files.upload("page.html", new Blob(["<p>"], { type: "text/html" }));
    expect(blob.error).toMatchObject({ statusCode: "415" });
    expect((await files.upload("pic.webp", "x", { contentType: "image/webp" })).error).toBeNull();
    expect((await files.upload("pic.svg", "x", { contentType: "image/svg+xml" })).error).toBeNull();
    expect((await files.upload("data.csv", "x", { contentType: "text/csv" })).error).toBeNull();
    expect((await h.files()).some((f) => /note\.txt|page\.html/.test(f))).toBe(false);
    expect((await h.files()).some((f) => f.startsWith("tmp/"))).toBe(false);
  });

  it("matches allowed_mime_types as the real server does: parameters are part of the subtype", async () => {
    const files = service.from(limited);
    // Allowed is "text/csv" exactly; "image/*" takes parameters with it.
    const withCharset = await files.upload("charset.csv", "x", { contentType: "text/csv; charset=utf-8" });
    expect(withCharset.error).toMatchObject({ status: 400, statusCode: "415", message: "mime type text/csv; charset=utf-8 is not supported" });
    const upperCase = await files.upload("upper.csv", "x", { contentType: "Text/CSV" });
    expect(upperCase.error).toMatchObject({ statusCode: "415", message: "mime type Text/CSV is not supported" });
    expect((await files.upload("param.png", "x", { contentType: "image/png; q=1" })).error).toBeNull();
    expect((await h.files()).some((f) => /charset\.csv|upper\.csv/.test(f))).toBe(false);
  });

  it.each(["not a type", "text", "text/", "/csv", "image/png; charset", "image/png; =x", 'text/plain; a="open'])(
    "refuses an unparseable Content-Type (%s) with 415, in the open bucket too",
    async (contentType) => {
      const res = await service.from(open).upload("odd.bin", "x", { contentType });
      expect(res.error).toMatchObject({ status: 400, statusCode: "415", code: "InvalidMimeType", message: "Invalid Content-Type header" });
      expect((await h.files()).some((f) => f.includes("odd.bin"))).toBe(false);
    },
  );

  it("accepts a Content-Type with quoted parameters", async () => {
    expect((await service.from(open).upload("quoted.txt", "x", { contentType: 'text/plain; name="a; b"' })).error).toBeNull();
  });
});
