import { describe, expect, it } from "vitest";
import { OutputError } from "../../supabase/functions/_shared/errors.ts";
import {
  contentTypeFor,
  decodeBase64,
  decodeDataUri,
  reusing,
  safeFilename,
  splitOutput,
  withoutFileBytes,
  type FileRef,
} from "../../supabase/functions/_shared/outputs.ts";

const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();
const ref = (index: number, filename: string): FileRef => ({
  index,
  filename,
  bucket: "outputs",
  path: `owner/ep/job/${filename}`,
  content_type: "image/png",
  size: 8,
  sha256: "00",
});

describe("splitOutput", () => {
  it("takes base64 files out of a ComfyUI-style output and keeps every other field", () => {
    const output = {
      status: "success",
      prompt_id: "p1",
      files: [{ type: "image", filename: "ComfyUI_00001_.png", data: png.toString("base64"), encoding: "base64" }],
    };
    const split = splitOutput(output);
    expect(split.files).toHaveLength(1);
    expect(split.files[0]).toMatchObject({ index: 0, filename: "ComfyUI_00001_.png", contentType: undefined });
    expect(split.files[0].source).toEqual({ kind: "inline", bytes: new Uint8Array(png) });
    expect(split.withRefs([ref(0, "ComfyUI_00001_.png")])).toEqual({
      status: "success",
      prompt_id: "p1",
      files: [ref(0, "ComfyUI_00001_.png")],
    });
  });

  it("reads data: URIs, with their declared type, in data or as plain strings", () => {
    const uri = `data:image/png;base64,${png.toString("base64")}`;
    const split = splitOutput({ files: [{ filename: "a.png", data: uri }, uri, "data:text/plain,hello%20world"] });
    expect(split.files.map((f) => [f.filename, f.contentType])).toEqual([
      ["a.png", "image/png"],
      ["file-1.png", "image/png"],
      ["file-2.txt", "text/plain"],
    ]);
    expect(text((split.files[2].source as { bytes: Uint8Array }).bytes)).toBe("hello world");
  });

  it("turns url entries and a Replicate-style array of URLs into downloads", () => {
    const split = splitOutput({ files: [{ url: "https://cdn.example/out/render%201.webp?sig=x" }, { filename: "b.mp4", url: "http://h/b", content_type: "video/mp4" }] });
    expect(split.files).toEqual([
      { index: 0, filename: "render_1.webp", contentType: undefined, source: { kind: "url", url: "https://cdn.example/out/render%201.webp?sig=x" } },
      { index: 1, filename: "b.mp4", contentType: "video/mp4", source: { kind: "url", url: "http://h/b" } },
    ]);
    const replicate = splitOutput(["https://r.example/a.png", "https://r.example/b.png"]);
    expect(replicate.files.map((f) => f.filename)).toEqual(["a.png", "b.png"]);
    expect(replicate.withRefs([ref(0, "a.png"), ref(1, "b.png")])).toEqual({ files: [ref(0, "a.png"), ref(1, "b.png")] });
  });

  it("recognises files a worker already uploaded through a signed URL", () => {
    const split = splitOutput({ files: [{ filename: "big.png", storage_path: "u1/ep/j1/big.png", content_type: "image/png" }] });
    expect(split.files).toEqual([
      { index: 0, filename: "big.png", contentType: "image/png", source: { kind: "stored", storagePath: "u1/ep/j1/big.png" } },
    ]);
  });

  it("leaves outputs without files untouched", () => {
    for (const output of [{ text: "hi" }, "plain", 42, null, [], ["not a url"], { files: "nope" }]) {
      const split = splitOutput(output);
      expect(split.files).toEqual([]);
      expect(split.withRefs([])).toEqual(output);
    }
  });

  it("gives two files with one name distinct paths", () => {
    const data = png.toString("base64");
    const split = splitOutput({ files: [{ filename: "x.png", data }, { filename: "x.png", data }] });
    expect(split.files.map((f) => f.filename)).toEqual(["x.png", "1-x.png"]);
  });

  it("refuses file entries it cannot read, naming the entry", () => {
    const cases: Array<[unknown, string]> = [
      [{ files: [{ filename: "a" }] }, "output file 0 has none of data, url or storage_path"],
      [{ files: [{ data: "@@@not base64" }] }, "output file 0 is not valid base64"],
      [{ files: [{ data: "" }] }, "output file 0 is empty"],
      [{ files: [{ data: png.toString("base64") }, 7] }, "output file 1 must be an object with data, url or storage_path"],
      [{ files: [{ url: "ftp://h/a" }] }, "output file 0 has a url that is not http(s)"],
      [{ files: ["just text"] }, "output file 0 is a string but neither an http(s) URL nor a data: URI"],
      [{ files: [{ data: "data:image/png;base64" }] }, "output file 0 is not a valid data: URI"],
    ];
    for (const [output, message] of cases) {
      expect(() => splitOutput(output)).toThrow(new OutputError(message));
    }
  });
});

describe("file names and types", () => {
  it("keeps names to one safe path segment", () => {
    expect(safeFilename("../../etc/passwd", 0, undefined)).toBe("passwd");
    expect(safeFilename("a\\b\\..\\c d?.png", 0, undefined)).toBe("c_d_.png");
    expect(safeFilename(".hidden", 0, undefined)).toBe("hidden");
    expect(safeFilename("..", 3, "image/webp")).toBe("file-3.webp");
    expect(safeFilename(undefined, 2, undefined)).toBe("file-2");
    expect(safeFilename(`${"x".repeat(300)}.png`, 0, undefined)).toHaveLength(128);
  });

  it("prefers the declared type, then the extension, then octet-stream", () => {
    expect(contentTypeFor("a.png", "image/webp")).toBe("image/webp");
    expect(contentTypeFor("a.JPG", undefined)).toBe("image/jpeg");
    expect(contentTypeFor("a.unknown", undefined)).toBe("application/octet-stream");
    expect(splitOutput({ files: [{ data: "AA==", content_type: "Image/PNG; charset=x" }] }).files[0].contentType).toBe("image/png");
    expect(splitOutput({ files: [{ data: "AA==", content_type: "not a type" }] }).files[0].contentType).toBeUndefined();
  });

  it("decodes base64 with whitespace, without padding and in its URL-safe form", () => {
    expect(text(decodeBase64("aGVs\nbG8=", "x"))).toBe("hello");
    expect(text(decodeBase64("aGVsbG8", "x"))).toBe("hello");
    expect(Array.from(decodeBase64("-_8", "x"))).toEqual([0xfb, 0xff]);
    expect(() => decodeBase64("aGVsb", "x")).toThrow("x is not valid base64");
  });

  it("decodes a file of several MB (decoded a piece at a time) to exactly its bytes, in both alphabets", () => {
    // not a multiple of 3 bytes: the last group is padded, or short in base64url
    const bytes = Buffer.from(Array.from({ length: 3 * 1024 * 1024 + 2 }, (_, i) => (i * 7919) % 256));
    expect(Buffer.from(decodeBase64(bytes.toString("base64"), "x")).equals(bytes)).toBe(true);
    expect(Buffer.from(decodeBase64(bytes.toString("base64url"), "x")).equals(bytes)).toBe(true);
    const wrapped = bytes.toString("base64").replace(/.{76}/g, "$&\n");
    expect(Buffer.from(decodeBase64(wrapped, "x")).equals(bytes)).toBe(true);
    expect(Buffer.from(decodeBase64(bytes.toString("base64").replace(/=+$/, ""), "x")).equals(bytes)).toBe(true);
  });

  it("decodes into consecutive pieces of a spare buffer, then into fresh ones once it is used up, each file intact", () => {
    const spare = new Uint8Array(16).fill(0xee);
    const allocate = reusing(spare);
    const split = splitOutput({
      files: [
        { filename: "a.bin", data: Buffer.from("abcdef").toString("base64") },
        { filename: "b.bin", data: Buffer.from("ghi").toString("base64url") },
        `data:;base64,${Buffer.from("jklmnopqr").toString("base64")}`,
      ],
    }, allocate);
    const bytes = split.files.map((f) => (f.source as { bytes: Uint8Array }).bytes);
    expect(bytes.map(text)).toEqual(["abcdef", "ghi", "jklmnopqr"]);
    // a and b share the spare buffer, side by side; c did not fit in what was left
    expect(bytes[0].buffer).toBe(spare.buffer);
    expect(bytes[1].buffer).toBe(spare.buffer);
    expect(bytes[1].byteOffset).toBeGreaterThanOrEqual(bytes[0].byteOffset + bytes[0].byteLength);
    expect(bytes[2].buffer).not.toBe(spare.buffer);
    expect(() => decodeBase64("%%%", "x", reusing(spare))).toThrow("x is not valid base64");
  });

  it("decodes data: URIs with and without base64", () => {
    expect(decodeDataUri("data:;base64,aGk=", "x")).toEqual({ bytes: new Uint8Array(Buffer.from("hi")), contentType: undefined });
    expect(text(decodeDataUri("data:,a%2Cb", "x").bytes)).toBe("a,b");
    expect(() => decodeDataUri("data:,%E0%A4%A", "x")).toThrow("x is not a valid data: URI");
  });
});

describe("withoutFileBytes", () => {
  it("drops file bytes from a failed attempt's output and keeps the rest", () => {
    expect(withoutFileBytes({ note: "partial", files: [{ filename: "a.png", data: "AAAA" }, "data:image/png;base64,AA==", "https://h/a"] })).toEqual({
      note: "partial",
      files: [{ filename: "a.png" }, "data:…", "https://h/a"],
    });
    expect(withoutFileBytes({ a: 1 })).toEqual({ a: 1 });
  });
});
