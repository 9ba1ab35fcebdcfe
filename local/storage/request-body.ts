// Reading request bodies: small JSON bodies, and uploads sent either raw (the
// body is the file) or as multipart/form-data (storage-js sends Blobs and
// FormData that way, with `cacheControl` and `metadata` fields before the file).
import busboy from "busboy";
import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import type { BlobStore, ReceivedFile } from "./blobs.ts";
import { StorageError, errors } from "./errors.ts";

const maxJsonBytes = 1024 * 1024;

export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxJsonBytes) throw errors.invalidRequest("request body is too large");
    chunks.push(chunk);
  }
  if (size === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw errors.invalidRequest("body is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw errors.invalidRequest("body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

export interface UploadLimits {
  maxBytes: number;
  allowedMimeTypes: string[] | null;
}

export interface ReceivedUpload extends ReceivedFile {
  contentType: string;
  cacheControl: string;
  userMetadata: unknown;
}

const token = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const mediaType = new RegExp(`^\\s*${token}/${token}(\\s*;\\s*${token}=(${token}|"([^"\\\\]|\\\\.)*"))*\\s*$`);

/** Whether a Content-Type header is a media type at all (type/subtype and parameters). */
export function isParseableContentType(contentType: string): boolean {
  return mediaType.test(contentType);
}

/**
 * Checks a content type against a bucket's allowed_mime_types the way the
 * Storage API does: value and rule are split at "/", the types must be equal
 * and the rule's subtype "*" or equal to the value's, compared as written.
 * Parameters stay in the subtype, so "text/csv; charset=utf-8" does not match
 * "text/csv" (though it matches "text/*").
 */
export function checkMimeType(contentType: string, allowed: string[] | null): void {
  if (!allowed || allowed.length === 0) return;
  const [type, subtype] = contentType.split("/");
  const ok = subtype !== undefined && allowed.some((rule) => {
    const [ruleType, ruleSubtype] = rule.split("/");
    return ruleType === type && (ruleSubtype === "*" || ruleSubtype === subtype);
  });
  if (!ok) throw errors.invalidMimeType(contentType);
}

function cacheControlOf(value: string | undefined): string {
  if (!value) return "no-cache";
  return /^\d+$/.test(value) ? `max-age=${value}` : value;
}

function parseMetadata(json: string | undefined): unknown {
  if (json === undefined || json === "") return null;
  try {
    return JSON.parse(json);
  } catch {
    throw errors.invalidRequest("metadata is not valid JSON");
  }
}

function headerMetadata(req: IncomingMessage): unknown {
  const header = req.headers["x-metadata"];
  if (typeof header !== "string") return null;
  return parseMetadata(Buffer.from(header, "base64").toString("utf8"));
}

/**
 * Receives the upload into a temp file of `store`, refusing disallowed types
 * before any byte is written and sizes over the limit as soon as they show.
 * On refusal the rest of the body is drained so the client reads the answer.
 */
export async function receiveUpload(req: IncomingMessage, store: BlobStore, limits: UploadLimits): Promise<ReceivedUpload> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  try {
    if (declared > limits.maxBytes + multipartOverhead(req)) throw errors.entityTooLarge();
    const isMultipart = /^multipart\/form-data/i.test(req.headers["content-type"] ?? "");
    return isMultipart ? await receiveMultipart(req, store, limits) : await receiveRaw(req, store, limits);
  } catch (err) {
    drain(req);
    throw err;
  }
}

// Multipart framing adds a little to the file's own size.
function multipartOverhead(req: IncomingMessage): number {
  return /^multipart\//i.test(req.headers["content-type"] ?? "") ? 64 * 1024 : 0;
}

function drain(req: IncomingMessage): void {
  if (!req.readableEnded) {
    req.unpipe();
    req.resume();
  }
}

async function receiveRaw(req: IncomingMessage, store: BlobStore, limits: UploadLimits): Promise<ReceivedUpload> {
  const contentType = req.headers["content-type"] || "application/octet-stream";
  checkMimeType(contentType, limits.allowedMimeTypes);
  const userMetadata = headerMetadata(req);
  const file = await store.receive(req, limits.maxBytes);
  return { ...file, contentType, cacheControl: cacheControlOf(req.headers["cache-control"]), userMetadata };
}

function receiveMultipart(req: IncomingMessage, store: BlobStore, limits: UploadLimits): Promise<ReceivedUpload> {
  return new Promise((resolve, reject) => {
    const fields = new Map<string, string>();
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { files: 1, fieldSize: maxJsonBytes } });
    } catch {
      return reject(errors.invalidRequest("malformed multipart/form-data body"));
    }
    let received: Promise<ReceivedUpload> | null = null;
    let settled = false;
    const fail = (err: unknown) => {
      req.unpipe(parser);
      if (settled) return;
      settled = true;
      reject(err instanceof StorageError ? err : errors.invalidRequest("malformed multipart/form-data body"));
      received?.then((file) => store.discard(file.tmpPath), () => {});
    };
    parser.on("field", (name, value) => fields.set(name, value));
    parser.on("file", (_name, stream: Readable, info) => {
      received = (async () => {
        const contentType = info.mimeType || "application/octet-stream";
        try {
          checkMimeType(contentType, limits.allowedMimeTypes);
        } catch (err) {
          stream.resume();
          throw err;
        }
        const userMetadata = parseMetadata(fields.get("metadata"));
        const file = await store.receive(stream, limits.maxBytes);
        return { ...file, contentType, cacheControl: cacheControlOf(fields.get("cacheControl")), userMetadata };
      })();
      received.catch(fail);
    });
    parser.on("error", fail);
    parser.on("close", () => {
      if (!received) return fail(errors.invalidRequest("the form has no file"));
      received.then((file) => {
        if (settled) return store.discard(file.tmpPath);
        settled = true;
        resolve(file);
      }, fail);
    });
    req.pipe(parser);
  });
}
