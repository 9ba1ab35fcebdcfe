// A local stand-in for the Supabase Storage API, serving what storage-js calls.
// The stack's API server mounts `handle` at /storage/v1.
import type { IncomingMessage, ServerResponse } from "node:http";
import { BlobStore } from "./blobs.ts";
import * as buckets from "./buckets.ts";
import { type StorageContext, maxObjectsPerRequest, signedUploadLifetimeSeconds } from "./context.ts";
import { openDatabase } from "./database.ts";
import { StorageError, errors, sendError, sendJson } from "./errors.ts";
import { listObjects, parseListRequest } from "./listing.ts";
import { bucketAndKey, checkBucketName, checkKey } from "./names.ts";
import {
  type ReadAccess,
  checkExpiresIn,
  objectInfo,
  readableObject,
  serveObject,
  signedDownloadPath,
  visibleKeys,
} from "./object-reads.ts";
import { checkCanUpload, copyObject, deleteObjects, moveObject, requireBucket, writeUpload, type Relocation } from "./object-writes.ts";
import { isParseableContentType, readJson } from "./request-body.ts";
import { parseTransformation, parseTransformationList, serveTransformed, transformationList } from "./render.ts";
import { Tokens } from "./tokens.ts";

export interface StorageHandlerOptions {
  dbUrl: string;
  jwtSecret: string;
  /** Object bytes live under <dataDir>/objects, uploads in progress under <dataDir>/tmp. */
  dataDir: string;
  /** The project's global file size limit in bytes (see projectFileSizeLimit). */
  fileSizeLimit: number;
  log?: (line: string) => void;
}

export interface StorageHandler {
  handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void>;
  close(): Promise<void>;
}

interface Request {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** Percent-decoded path after /storage/v1, without the query. */
  path: string;
  query: URLSearchParams;
}

type Route = { method: string; pattern: RegExp; run: (ctx: StorageContext, r: Request, match: RegExpExecArray) => Promise<void> };

const isUpsert = (req: IncomingMessage) => req.headers["x-upsert"] === "true";

async function caller(ctx: StorageContext, r: Request) {
  return ctx.tokens.caller(r.req);
}

function stringList(value: unknown, name: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw errors.invalidRequest(`body/${name} must be an array of strings`);
  }
  if (value.length === 0 || value.length > maxObjectsPerRequest) {
    throw errors.invalidRequest(`body/${name} must have between 1 and ${maxObjectsPerRequest} items`);
  }
  return value as string[];
}

function relocation(body: Record<string, unknown>): Relocation {
  const bucket = checkBucketName(body.bucketId);
  return {
    source: { bucket, key: checkKey(body.sourceKey) },
    destination: { bucket: checkBucketName(body.destinationBucket ?? bucket), key: checkKey(body.destinationKey) },
  };
}

async function download(ctx: StorageContext, r: Request, rest: string, access: ReadAccess): Promise<void> {
  const target = bucketAndKey(rest);
  const row = await readableObject(ctx, target, access);
  await serveObject(ctx, r.req, r.res, row, r.query);
}

/** An image transformed as the query says, or as a signed URL's token fixed it. */
async function render(ctx: StorageContext, r: Request, rest: string, access: ReadAccess): Promise<void> {
  const target = bucketAndKey(rest);
  const row = await readableObject(ctx, target, access);
  const transformation = access.kind === "signed"
    ? parseTransformationList((await ctx.tokens.verifyDownload(access.token, `${target.bucket}/${target.key}`)).transformations ?? "")
    : parseTransformation((name) => r.query.get(name) ?? undefined);
  await serveTransformed(ctx, r.req, r.res, row, transformation);
}

function tokenOf(r: Request): string {
  const token = r.query.get("token");
  if (!token) throw errors.invalidRequest("querystring must have required property 'token'");
  return token;
}

const routes: Route[] = [
  { method: "GET", pattern: /^\/bucket\/?$/s, run: async (ctx, r) => sendJson(r.res, await buckets.listBuckets(ctx, await caller(ctx, r), r.query)) },
  { method: "POST", pattern: /^\/bucket\/?$/s, run: async (ctx, r) => {
    const claims = await caller(ctx, r);
    sendJson(r.res, await buckets.createBucket(ctx, claims, await readJson(r.req)));
  } },
  { method: "POST", pattern: /^\/bucket\/([^/]+)\/empty$/s, run: async (ctx, r, m) => sendJson(r.res, await buckets.emptyBucket(ctx, await caller(ctx, r), m[1]!)) },
  { method: "GET", pattern: /^\/bucket\/([^/]+)$/s, run: async (ctx, r, m) => sendJson(r.res, await buckets.getBucket(ctx, await caller(ctx, r), m[1]!)) },
  { method: "PUT", pattern: /^\/bucket\/([^/]+)$/s, run: async (ctx, r, m) => {
    const claims = await caller(ctx, r);
    sendJson(r.res, await buckets.updateBucket(ctx, claims, m[1]!, await readJson(r.req)));
  } },
  { method: "DELETE", pattern: /^\/bucket\/([^/]+)$/s, run: async (ctx, r, m) => sendJson(r.res, await buckets.deleteBucket(ctx, await caller(ctx, r), m[1]!)) },

  { method: "POST", pattern: /^\/object\/list\/([^/]+)$/s, run: async (ctx, r, m) => {
    const claims = await caller(ctx, r);
    const list = parseListRequest(await readJson(r.req));
    sendJson(r.res, await listObjects(ctx, checkBucketName(m[1]), list, claims));
  } },
  { method: "POST", pattern: /^\/object\/move$/s, run: async (ctx, r) => {
    const claims = await caller(ctx, r);
    await moveObject(ctx, relocation(await readJson(r.req)), claims);
    sendJson(r.res, { message: "Successfully moved" });
  } },
  { method: "POST", pattern: /^\/object\/copy$/s, run: async (ctx, r) => {
    const claims = await caller(ctx, r);
    const body = await readJson(r.req);
    const copy = relocation(body);
    const id = await copyObject(ctx, copy, claims, {
      upsert: isUpsert(r.req),
      copyMetadata: body.copyMetadata !== false,
      userMetadata: body.metadata ?? null,
    });
    sendJson(r.res, { Id: id, Key: `${copy.destination.bucket}/${copy.destination.key}` });
  } },

  { method: "POST", pattern: /^\/object\/sign\/([^/]+)$/s, run: async (ctx, r, m) => {
    const claims = await caller(ctx, r);
    const bucket = checkBucketName(m[1]);
    const body = await readJson(r.req);
    const expiresIn = checkExpiresIn(body.expiresIn);
    const paths = stringList(body.paths, "paths");
    const visible = await visibleKeys(ctx.sql, bucket, paths, claims);
    const signed = await Promise.all(
      paths.map(async (path) =>
        visible.has(path)
          ? { error: null, path, signedURL: await signedDownloadPath(ctx, { bucket, key: path }, expiresIn) }
          : { error: "Either the object does not exist or you do not have access to it", path, signedURL: null },
      ),
    );
    sendJson(r.res, signed);
  } },
  { method: "POST", pattern: /^\/object\/sign\/(.+)$/s, run: async (ctx, r, m) => {
    const claims = await caller(ctx, r);
    const target = bucketAndKey(m[1]!);
    const body = await readJson(r.req);
    const expiresIn = checkExpiresIn(body.expiresIn);
    const transformations = body.transform === undefined ? undefined : transformationList(body.transform);
    await readableObject(ctx, target, { kind: "caller", claims });
    sendJson(r.res, { signedURL: await signedDownloadPath(ctx, target, expiresIn, transformations) });
  } },
  { method: "GET", pattern: /^\/object\/sign\/(.+)$/s, run: (ctx, r, m) => download(ctx, r, m[1]!, { kind: "signed", token: tokenOf(r) }) },
  { method: "HEAD", pattern: /^\/object\/sign\/(.+)$/s, run: (ctx, r, m) => download(ctx, r, m[1]!, { kind: "signed", token: tokenOf(r) }) },

  { method: "POST", pattern: /^\/object\/upload\/sign\/(.+)$/s, run: async (ctx, r, m) => {
    const claims = await caller(ctx, r);
    const target = bucketAndKey(m[1]!);
    const upsert = isUpsert(r.req);
    await checkCanUpload(ctx, target, claims, upsert);
    const owner = typeof claims.sub === "string" ? claims.sub : null;
    const token = await ctx.tokens.signUpload({ url: `${target.bucket}/${target.key}`, owner, upsert }, signedUploadLifetimeSeconds);
    sendJson(r.res, { url: `/object/upload/sign/${target.bucket}/${target.key}?token=${token}`, token });
  } },
  { method: "PUT", pattern: /^\/object\/upload\/sign\/(.+)$/s, run: async (ctx, r, m) => {
    const target = bucketAndKey(m[1]!);
    const grant = await ctx.tokens.verifyUpload(tokenOf(r), `${target.bucket}/${target.key}`);
    await writeUpload(ctx, r.req, target, { upsert: grant.upsert, claims: null, ownerSub: grant.owner });
    sendJson(r.res, { Key: `${target.bucket}/${target.key}` });
  } },

  ...["GET", "HEAD"].flatMap((method): Route[] => [
    { method, pattern: /^\/render\/image\/public\/(.+)$/s, run: (ctx, r, m) => render(ctx, r, m[1]!, { kind: "public" }) },
    { method, pattern: /^\/render\/image\/authenticated\/(.+)$/s, run: async (ctx, r, m) => render(ctx, r, m[1]!, { kind: "caller", claims: await caller(ctx, r) }) },
    { method, pattern: /^\/render\/image\/sign\/(.+)$/s, run: (ctx, r, m) => render(ctx, r, m[1]!, { kind: "signed", token: tokenOf(r) }) },
  ]),

  { method: "GET", pattern: /^\/object\/public\/(.+)$/s, run: (ctx, r, m) => download(ctx, r, m[1]!, { kind: "public" }) },
  { method: "HEAD", pattern: /^\/object\/public\/(.+)$/s, run: (ctx, r, m) => download(ctx, r, m[1]!, { kind: "public" }) },
  { method: "GET", pattern: /^\/object\/info\/public\/(.+)$/s, run: async (ctx, r, m) => {
    sendJson(r.res, objectInfo(await readableObject(ctx, bucketAndKey(m[1]!), { kind: "public" })));
  } },
  { method: "GET", pattern: /^\/object\/info\/(?:authenticated\/)?(.+)$/s, run: async (ctx, r, m) => {
    const claims = await caller(ctx, r);
    const target = bucketAndKey(m[1]!);
    // A missing bucket is told apart from a missing (or hidden) object.
    await requireBucket(ctx, target.bucket);
    sendJson(r.res, objectInfo(await readableObject(ctx, target, { kind: "caller", claims })));
  } },
  { method: "GET", pattern: /^\/object\/(?:authenticated\/)?(.+)$/s, run: async (ctx, r, m) => download(ctx, r, m[1]!, { kind: "caller", claims: await caller(ctx, r) }) },
  { method: "HEAD", pattern: /^\/object\/(?:authenticated\/)?(.+)$/s, run: async (ctx, r, m) => download(ctx, r, m[1]!, { kind: "caller", claims: await caller(ctx, r) }) },

  { method: "DELETE", pattern: /^\/object\/([^/]+)\/?$/s, run: async (ctx, r, m) => {
    const claims = await caller(ctx, r);
    const bucket = checkBucketName(m[1]);
    const keys = stringList((await readJson(r.req)).prefixes, "prefixes");
    sendJson(r.res, await deleteObjects(ctx, bucket, keys, claims));
  } },
  { method: "DELETE", pattern: /^\/object\/(.+)$/s, run: async (ctx, r, m) => {
    const claims = await caller(ctx, r);
    const target = bucketAndKey(m[1]!);
    const deleted = await deleteObjects(ctx, target.bucket, [target.key], claims);
    if (deleted.length === 0) throw errors.noSuchKey();
    sendJson(r.res, { message: "Successfully deleted" });
  } },
  { method: "POST", pattern: /^\/object\/(.+)$/s, run: async (ctx, r, m) => {
    const claims = await caller(ctx, r);
    const target = bucketAndKey(m[1]!);
    const id = await writeUpload(ctx, r.req, target, { upsert: isUpsert(r.req), claims, ownerSub: claims.sub });
    sendJson(r.res, { Id: id, Key: `${target.bucket}/${target.key}` });
  } },
  { method: "PUT", pattern: /^\/object\/(.+)$/s, run: async (ctx, r, m) => {
    const claims = await caller(ctx, r);
    const target = bucketAndKey(m[1]!);
    const id = await writeUpload(ctx, r.req, target, { upsert: true, claims, ownerSub: claims.sub });
    sendJson(r.res, { Id: id, Key: `${target.bucket}/${target.key}` });
  } },
];

function parseRequest(req: IncomingMessage, res: ServerResponse, rawPath: string): Request {
  const queryStart = rawPath.indexOf("?");
  const encodedPath = queryStart < 0 ? rawPath : rawPath.slice(0, queryStart);
  let path: string;
  try {
    path = decodeURIComponent(encodedPath);
  } catch {
    throw errors.invalidKey(encodedPath);
  }
  const query = new URLSearchParams(queryStart < 0 ? "" : rawPath.slice(queryStart + 1));
  return { req, res, method: req.method ?? "GET", path, query };
}

export function createStorageHandler(opts: StorageHandlerOptions): StorageHandler {
  const store = new BlobStore(opts.dataDir);
  const ctx: StorageContext = {
    sql: openDatabase(opts.dbUrl),
    store,
    tokens: new Tokens(opts.jwtSecret),
    fileSizeLimit: opts.fileSizeLimit,
  };
  const ready = store.init();
  const log = opts.log ?? (() => {});

  async function handle(req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
    try {
      await ready;
      const r = parseRequest(req, res, rawPath);
      // The real server refuses a body whose Content-Type is not a media type before any route runs.
      const contentType = req.headers["content-type"];
      if (r.method !== "GET" && r.method !== "HEAD" && contentType && !isParseableContentType(contentType)) {
        throw errors.invalidContentType();
      }
      for (const route of routes) {
        const match = route.method === r.method ? route.pattern.exec(r.path) : null;
        if (match) return await route.run(ctx, r, match);
      }
      throw errors.routeNotFound(r.method, r.path);
    } catch (err) {
      const known = err instanceof StorageError ? err : errors.internal();
      // Only the path: the query may hold a signed URL's token.
      const logged = rawPath.split("?", 1)[0];
      if (!(err instanceof StorageError)) log(`storage: ${req.method} ${logged} failed: ${(err as Error)?.stack ?? err}`);
      if (!req.readableEnded) req.resume();
      if (res.headersSent) res.destroy();
      else sendError(res, known);
    }
  }

  return {
    handle,
    async close() {
      await ctx.sql.end({ timeout: 5 });
    },
  };
}
