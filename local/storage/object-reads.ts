// Reading objects: downloads (as the caller, public, or through a signed URL),
// HEAD, info and signed download URLs. Rows are read under the caller's role,
// so a download is allowed exactly when the SELECT policies show the row.
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import type { StorageContext } from "./context.ts";
import { type ObjectRow, type Sql, asCaller, findBucket, findObject, transaction } from "./database.ts";
import { errors } from "./errors.ts";
import type { ObjectTarget } from "./object-writes.ts";
import type { Claims } from "./tokens.ts";

/** Who is reading: a caller (RLS decides), anyone (public bucket), or a signed URL's holder. */
export type ReadAccess = { kind: "caller"; claims: Claims } | { kind: "public" } | { kind: "signed"; token: string };

export async function readableObject(ctx: StorageContext, target: ObjectTarget, access: ReadAccess): Promise<ObjectRow> {
  const row = await findReadable(ctx, target, access);
  if (!row) throw errors.noSuchKey();
  return row;
}

async function findReadable(ctx: StorageContext, { bucket, key }: ObjectTarget, access: ReadAccess): Promise<ObjectRow | null> {
  switch (access.kind) {
    case "caller":
      return transaction(ctx.sql, (tx) => asCaller(tx, access.claims, () => findObject(tx, bucket, key)));
    case "public": {
      const found = await findBucket(ctx.sql, bucket);
      if (!found?.public) throw errors.noSuchBucket();
      return findObject(ctx.sql, bucket, key);
    }
    case "signed":
      await ctx.tokens.verifyDownload(access.token, `${bucket}/${key}`);
      return findObject(ctx.sql, bucket, key);
  }
}

/** Visible rows among `keys`, read as the caller. */
export async function visibleKeys(sql: Sql, bucket: string, keys: string[], claims: Claims): Promise<Set<string>> {
  const rows = await transaction(sql, (tx) =>
    asCaller(tx, claims, () => tx<{ name: string }[]>`
      select name from storage.objects where bucket_id = ${bucket} and name = any(${keys}::text[])`),
  );
  return new Set(rows.map((r) => r.name));
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | "invalid" | null {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header ?? "");
  if (!match || (match[1] === "" && match[2] === "")) return null;
  const [, from, to] = match;
  const start = from === "" ? Math.max(0, size - Number(to)) : Number(from);
  const end = from === "" || to === "" ? size - 1 : Math.min(Number(to), size - 1);
  return start > end || start >= size ? "invalid" : { start, end };
}

// As the Storage API writes it: `?download` alone names no file (the browser
// takes the URL's), `?download=name` names it, percent-encoded in both forms.
function contentDisposition(download: string): string {
  if (download === "") return "attachment;";
  const name = encodeURIComponent(download);
  return `attachment; filename=${name}; filename*=UTF-8''${name};`;
}

/** Sends the object's bytes (or only its headers), streaming from disk. */
export async function serveObject(
  ctx: StorageContext,
  req: IncomingMessage,
  res: ServerResponse,
  row: ObjectRow,
  query: URLSearchParams,
): Promise<void> {
  if (!row.version) throw errors.noSuchKey();
  const path = ctx.store.pathOf(row.bucket_id, row.name, row.version);
  const size = await stat(path).then(
    (s) => s.size,
    () => {
      throw errors.noSuchKey();
    },
  );
  const metadata = row.metadata;
  const headers: Record<string, string | number> = {
    "content-type": metadata?.mimetype ?? "application/octet-stream",
    "cache-control": metadata?.cacheControl ?? "no-cache",
    etag: metadata?.eTag ?? "",
    "last-modified": (metadata?.lastModified ? new Date(metadata.lastModified) : row.updated_at).toUTCString(),
    "accept-ranges": "bytes",
  };
  const download = query.get("download");
  if (download !== null) headers["content-disposition"] = contentDisposition(download);
  if (metadata?.eTag && req.headers["if-none-match"] === metadata.eTag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const range = parseRange(req.headers.range, size);
  if (range === "invalid") {
    res.writeHead(416, { ...headers, "content-range": `bytes */${size}` });
    res.end();
    return;
  }
  if (range) {
    headers["content-range"] = `bytes ${range.start}-${range.end}/${size}`;
    headers["content-length"] = range.end - range.start + 1;
  } else {
    headers["content-length"] = size;
  }
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  await pipeline(ctx.store.openRead(path, range ?? undefined), res);
}

/** The body of `GET /object/info/...`, as the Storage API shapes it. */
export function objectInfo(row: ObjectRow) {
  return {
    id: row.id,
    version: row.version,
    name: row.name,
    bucket_id: row.bucket_id,
    size: row.metadata?.size ?? null,
    content_type: row.metadata?.mimetype ?? null,
    cache_control: row.metadata?.cacheControl ?? null,
    etag: row.metadata?.eTag ?? null,
    metadata: row.user_metadata ?? null,
    last_modified: row.metadata?.lastModified ?? row.updated_at,
    created_at: row.created_at,
  };
}

export function checkExpiresIn(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw errors.invalidRequest("body/expiresIn must be an integer >= 1");
  }
  return value;
}

/** A signed URL's path; with a transformation it is served by the image renderer. */
export async function signedDownloadPath(ctx: StorageContext, { bucket, key }: ObjectTarget, expiresIn: number, transformations?: string): Promise<string> {
  const token = await ctx.tokens.signDownload(`${bucket}/${key}`, expiresIn, transformations);
  return `${transformations ? "/render/image/sign" : "/object/sign"}/${bucket}/${key}?token=${token}`;
}
