import { describe, expect, it } from "vitest";
import { detectedContentType, isActiveContentType, storableContentType } from "../../supabase/functions/_shared/content-type.ts";
import { OutputError } from "../../supabase/functions/_shared/errors.ts";

const png = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489", "hex");
const jpeg = Buffer.from("ffd8ffe000104a46494600010100000100010000", "hex");
const zip = Buffer.from("504b0304140000000800", "hex");
const html = Buffer.from("<!doctype html><script>alert(document.cookie)</script>");
const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');

describe("stored content types", () => {
  it("takes the type from the bytes when they carry a known format, whatever was declared", async () => {
    expect(await detectedContentType(png, "pic.png", "text/html")).toBe("image/png");
    expect(await detectedContentType(jpeg, "pic.png", "image/png")).toBe("image/jpeg");
    expect(await detectedContentType(zip, "data.bin", undefined)).toBe("application/zip");
  });

  it("does not believe a known format the bytes do not carry", async () => {
    expect(await detectedContentType(html, "pic.png", "image/png")).toBe("application/octet-stream");
    expect(await detectedContentType(html, "pic.png", undefined)).toBe("application/octet-stream");
  });

  it("keeps a declared text type the bytes cannot prove or disprove", async () => {
    expect(await detectedContentType(Buffer.from("hello"), "a.txt", "text/plain")).toBe("text/plain");
    expect(await detectedContentType(html, "page.html", "text/html")).toBe("text/html");
    expect(await detectedContentType(svg, "x.svg", "image/svg+xml")).toBe("image/svg+xml");
  });

  it("names HTML, SVG, XML and scripts active", () => {
    for (const type of ["text/html", "image/svg+xml", "application/xml", "text/xml", "application/javascript", "text/javascript", "application/atom+xml"]) {
      expect(isActiveContentType(type)).toBe(true);
    }
    for (const type of ["image/png", "text/plain", "application/json", "video/mp4"]) expect(isActiveContentType(type)).toBe(false);
  });

  it("refuses active content for a public bucket, keeps it as a download in a private one, and as itself where allowed", () => {
    expect(() => storableContentType("image/svg+xml", { publicBucket: true, allowActive: false }, "output file 0")).toThrow(
      new OutputError("output file 0 is image/svg+xml; a public bucket takes HTML, SVG, XML and script files only from an endpoint with allow_active_outputs"),
    );
    expect(storableContentType("text/html", { publicBucket: false, allowActive: false }, "f")).toBe("application/octet-stream");
    expect(storableContentType("text/html", { publicBucket: true, allowActive: true }, "f")).toBe("text/html");
    expect(storableContentType("image/png", { publicBucket: true, allowActive: false }, "f")).toBe("image/png");
  });
});

describe("files a worker uploaded itself", () => {
  it("takes down an upload declared as active content and fails the attempt", async () => {
    const { storedDelivery } = await import("../../supabase/functions/_shared/completion.ts");
    const removed: string[] = [];
    const deps = {
      db: {},
      storage: {
        ensureBucket: async () => {},
        info: async () => ({ size: 10, contentType: "text/html; charset=utf-8" }),
        remove: async (bucket: string, path: string) => void removed.push(`${bucket}/${path}`),
      },
      download: async () => { throw new Error("no downloads here"); },
    } as unknown as Parameters<typeof storedDelivery>[0];
    const ctx = { runId: "1", attempt: 1, endpoint: "e", bucket: "b", publicOutputs: false, allowActiveOutputs: false, grouped: false,
                  jobs: [{ job_id: "j", storage_prefix: "service/e/j" }] };
    const { result, files } = await storedDelivery(deps, ctx, { id: "rp", status: "COMPLETED", output: { files: [{ filename: "output", storage_path: "service/e/j/run-1/output" }] } });
    expect(removed).toEqual(["b/service/e/j/run-1/output"]);
    expect(files).toEqual([]);
    expect(result).toMatchObject({ status: "FAILED" });
    expect(result.error).toBe(
      "pgpod: output file 0 was uploaded as text/html; HTML, SVG, XML and script files are stored only from an endpoint with allow_active_outputs",
    );
  });
});
