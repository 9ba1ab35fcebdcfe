// The worker output contract (DESIGN.md): which parts of a job's output are
// files, how their bytes are found, and what the stored output looks like once
// the bytes are replaced by references to Storage.
import { Buffer } from "node:buffer";
import { OutputError } from "./errors.ts";

export type FileSource =
  | { kind: "inline"; bytes: Uint8Array }
  | { kind: "url"; url: string }
  | { kind: "stored"; storagePath: string };

export interface OutputFile {
  index: number;
  filename: string;
  /** What the worker (or a data: URI) declared; undefined means "derive it". */
  contentType: string | undefined;
  source: FileSource;
}

/** Where a file ended up; this replaces the file's bytes in the stored output. */
export interface FileRef {
  index: number;
  filename: string;
  bucket: string;
  path: string;
  content_type: string;
  size: number;
  sha256: string | null;
}

export interface SplitOutput {
  files: OutputFile[];
  /** The output to store: the same JSON with each file replaced by its reference. */
  withRefs(refs: FileRef[]): unknown;
}

const byExtension: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
  svg: "image/svg+xml",
  avif: "image/avif",
  mp4: "video/mp4",
  webm: "video/webm",
  mov: "video/quicktime",
  mp3: "audio/mpeg",
  wav: "audio/wav",
  ogg: "audio/ogg",
  flac: "audio/flac",
  m4a: "audio/mp4",
  json: "application/json",
  txt: "text/plain",
  srt: "application/x-subrip",
  vtt: "text/vtt",
  csv: "text/csv",
  pdf: "application/pdf",
  zip: "application/zip",
  gz: "application/gzip",
  tgz: "application/gzip",
  glb: "model/gltf-binary",
};

const extensionOf: Record<string, string> = Object.fromEntries(
  Object.entries(byExtension).reverse().map(([ext, type]) => [type, ext]),
);

const mediaType = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;

/** A declared content type reduced to `type/subtype`, or undefined when it is not one. */
export function normaliseContentType(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const type = value.split(";")[0].trim().toLowerCase();
  return mediaType.test(type) ? type : undefined;
}

export function contentTypeFor(filename: string, declared: string | undefined): string {
  if (declared) return declared;
  const ext = /\.([A-Za-z0-9]+)$/.exec(filename)?.[1]?.toLowerCase();
  return (ext && byExtension[ext]) || "application/octet-stream";
}

/**
 * A file name safe to use as the last segment of a Storage path: no folders,
 * no leading dots, only portable characters. Falls back to file-<index>.
 */
export function safeFilename(raw: unknown, index: number, contentType: string | undefined): string {
  const base = typeof raw === "string" ? raw.split(/[\\/]/).pop() ?? "" : "";
  const cleaned = base.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._]+/, "").slice(-128);
  if (cleaned !== "" && /[A-Za-z0-9]/.test(cleaned)) return cleaned;
  const ext = contentType ? extensionOf[contentType] : undefined;
  return ext ? `file-${index}.${ext}` : `file-${index}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const base64 = /^[A-Za-z0-9+/]*={0,2}$/;
const base64Url = /^[A-Za-z0-9_-]*$/;

/** Where decoded file bytes are written; the bytes handed out are only ever written by the decoder. */
export type Allocate = (size: number) => Uint8Array;

export const freshBytes: Allocate = (size) => new Uint8Array(size);

/**
 * Hands out consecutive pieces of `spare`, then fresh buffers once it is used
 * up. The webhook decodes files into its request body's buffer once the body
 * is parsed: that buffer is already resident and would otherwise wait for a
 * garbage collection, and base64 decodes to less than its own length.
 */
export function reusing(spare: Uint8Array): Allocate {
  let used = 0;
  return (size) => {
    if (used + size > spare.byteLength) return freshBytes(size);
    used += size;
    return spare.subarray(used - size, used);
  };
}

/** Characters decoded at a time (whole 4-character groups): the runtime copies each piece before decoding it. */
const base64PieceChars = 1024 * 1024;

/** Decodes piece by piece into one buffer, so a file of tens of MB never has a second copy of its text. */
function decodePieces(text: string, encoding: "base64" | "base64url", allocate: Allocate): Uint8Array {
  const room = allocate(Buffer.byteLength(text, encoding));
  const bytes = Buffer.from(room.buffer, room.byteOffset, room.byteLength);
  let written = 0;
  for (let at = 0; at < text.length; at += base64PieceChars) {
    written += bytes.write(text.slice(at, at + base64PieceChars), written, bytes.length - written, encoding);
  }
  return room.subarray(0, written);
}

export function decodeBase64(text: string, what: string, allocate: Allocate = freshBytes): Uint8Array {
  // Line-wrapped base64 is valid; a copy without the breaks is made only when there are some.
  const compact = /\s/.test(text) ? text.replace(/\s+/g, "") : text;
  if (compact.length === 0) throw new OutputError(`${what} is empty`);
  if (base64.test(compact)) {
    if (compact.length % 4 === 1) throw new OutputError(`${what} is not valid base64`);
    return decodePieces(compact, "base64", allocate);
  }
  if (base64Url.test(compact)) return decodePieces(compact, "base64url", allocate);
  throw new OutputError(`${what} is not valid base64`);
}

/** `data:[<type>][;base64],<data>` as bytes plus the declared type. */
export function decodeDataUri(uri: string, what: string, allocate: Allocate = freshBytes): { bytes: Uint8Array; contentType: string | undefined } {
  const comma = uri.indexOf(",");
  const match = comma < 0 ? null : /^data:([^,]*)$/i.exec(uri.slice(0, comma));
  if (!match) throw new OutputError(`${what} is not a valid data: URI`);
  const params = match[1].split(";");
  const isBase64 = params.slice(1).some((p) => p.trim().toLowerCase() === "base64");
  const data = uri.slice(comma + 1);
  let bytes: Uint8Array;
  if (isBase64) {
    bytes = decodeBase64(data, what, allocate);
  } else {
    try {
      bytes = new TextEncoder().encode(decodeURIComponent(data));
    } catch {
      throw new OutputError(`${what} is not a valid data: URI`);
    }
  }
  return { bytes, contentType: normaliseContentType(params[0]) };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

function urlFilename(url: string): string | undefined {
  const last = new URL(url).pathname.split("/").pop();
  if (!last) return undefined;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/** One entry of output.files (or of a Replicate-style array) as a file to store. */
function fileEntry(entry: unknown, index: number, allocate: Allocate): Omit<OutputFile, "filename"> & { rawName: unknown } {
  const what = `output file ${index}`;
  if (typeof entry === "string") {
    if (entry.startsWith("data:")) {
      const { bytes, contentType } = decodeDataUri(entry, what, allocate);
      return { index, rawName: undefined, contentType, source: { kind: "inline", bytes } };
    }
    if (isHttpUrl(entry)) return { index, rawName: urlFilename(entry), contentType: undefined, source: { kind: "url", url: entry } };
    throw new OutputError(`${what} is a string but neither an http(s) URL nor a data: URI`);
  }
  if (!isRecord(entry)) throw new OutputError(`${what} must be an object with data, url or storage_path`);
  const declared = normaliseContentType(entry.content_type ?? entry.mime_type ?? entry.mimetype);
  if (typeof entry.data === "string") {
    if (entry.data.startsWith("data:")) {
      const { bytes, contentType } = decodeDataUri(entry.data, what, allocate);
      return { index, rawName: entry.filename, contentType: declared ?? contentType, source: { kind: "inline", bytes } };
    }
    return { index, rawName: entry.filename, contentType: declared, source: { kind: "inline", bytes: decodeBase64(entry.data, what, allocate) } };
  }
  if (typeof entry.url === "string") {
    if (!isHttpUrl(entry.url)) throw new OutputError(`${what} has a url that is not http(s)`);
    return { index, rawName: entry.filename ?? urlFilename(entry.url), contentType: declared, source: { kind: "url", url: entry.url } };
  }
  if (typeof entry.storage_path === "string") {
    return {
      index,
      rawName: entry.filename ?? entry.storage_path,
      contentType: declared,
      source: { kind: "stored", storagePath: entry.storage_path },
    };
  }
  throw new OutputError(`${what} has none of data, url or storage_path`);
}

function named(entries: Array<ReturnType<typeof fileEntry>>): OutputFile[] {
  const seen = new Set<string>();
  return entries.map(({ rawName, ...file }) => {
    let filename = safeFilename(rawName, file.index, file.contentType);
    // Two files with one name would overwrite each other at the same path.
    if (seen.has(filename)) filename = `${file.index}-${filename}`;
    seen.add(filename);
    return { ...file, filename };
  });
}

/** Splits one job's output into the files to store and the JSON to keep. */
export function splitOutput(output: unknown, allocate: Allocate = freshBytes): SplitOutput {
  if (Array.isArray(output) && output.length > 0 && output.every((item) => typeof item === "string" && isHttpUrl(item))) {
    return {
      files: named(output.map((url, index) => fileEntry(url, index, allocate))),
      withRefs: (refs) => ({ files: refs }),
    };
  }
  if (isRecord(output) && Array.isArray(output.files)) {
    return {
      files: named(output.files.map((entry, index) => fileEntry(entry, index, allocate))),
      withRefs: (refs) => ({ ...output, files: refs }),
    };
  }
  return { files: [], withRefs: () => output };
}

/**
 * The output of an attempt that did not succeed, kept for the error report but
 * without file bytes: those would bloat the job row and are not stored.
 */
export function withoutFileBytes(output: unknown): unknown {
  if (!isRecord(output) || !Array.isArray(output.files)) return output;
  return {
    ...output,
    files: output.files.map((entry) => {
      if (!isRecord(entry)) return typeof entry === "string" && entry.startsWith("data:") ? "data:…" : entry;
      const { data: _data, ...rest } = entry;
      return rest;
    }),
  };
}
