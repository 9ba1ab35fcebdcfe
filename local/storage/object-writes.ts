// Creating, replacing, moving, copying and deleting objects. Every write holds
// a per-key advisory lock, changes `storage.objects` under the caller's role
// (when there is a caller) and puts the bytes in place before the transaction
// commits; files a failed transaction placed are removed again, and files a
// committed one replaced are removed afterwards.
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { BlobStore } from "./blobs.ts";
import { type StorageContext, ownerColumns } from "./context.ts";
import {
  type BucketRow,
  type ObjectMetadata,
  type ObjectRow,
  type Tx,
  allowStorageDeletes,
  asCaller,
  findBucket,
  findObject,
  lockKey,
  transaction,
} from "./database.ts";
import { errors, fromDatabaseError } from "./errors.ts";
import { type ReceivedUpload, receiveUpload } from "./request-body.ts";
import type { Claims } from "./tokens.ts";

export interface ObjectTarget {
  bucket: string;
  key: string;
}

export interface WriteOptions {
  upsert: boolean;
  /** null: the write is already authorised (signed upload URL) and runs as the superuser. */
  claims: Claims | null;
  ownerSub: unknown;
}

/** Runs `write` as the caller (or as the superuser when there is none), mapping refusals. */
async function runWrite<T>(tx: Tx, claims: Claims | null, write: () => Promise<T>): Promise<T> {
  try {
    return await (claims ? asCaller(tx, claims, write) : write());
  } catch (err) {
    throw fromDatabaseError(err, errors.objectExists) ?? err;
  }
}

export async function requireBucket(ctx: StorageContext, id: string): Promise<BucketRow> {
  const bucket = await findBucket(ctx.sql, id);
  if (!bucket) throw errors.noSuchBucket();
  return bucket;
}

function metadataOf(upload: Pick<ReceivedUpload, "eTag" | "size" | "contentType" | "cacheControl">): ObjectMetadata {
  return {
    eTag: upload.eTag,
    size: upload.size,
    mimetype: upload.contentType,
    cacheControl: upload.cacheControl,
    lastModified: new Date().toISOString(),
    contentLength: upload.size,
    httpStatusCode: 200,
  };
}

async function insertObject(
  tx: Tx,
  row: { id: string; bucket: string; key: string; version: string; metadata: ObjectMetadata; userMetadata: unknown },
  ownerSub: unknown,
  upsert: boolean,
): Promise<void> {
  const values = {
    id: row.id,
    bucket_id: row.bucket,
    name: row.key,
    version: row.version,
    metadata: tx.json(row.metadata as unknown as postgresJson),
    user_metadata: row.userMetadata === null || row.userMetadata === undefined ? null : tx.json(row.userMetadata as postgresJson),
    ...ownerColumns(ownerSub),
  };
  if (upsert) {
    await tx`
      insert into storage.objects ${tx(values)}
      on conflict (bucket_id, name) do update set
        version = excluded.version, metadata = excluded.metadata, user_metadata = excluded.user_metadata,
        owner = excluded.owner, owner_id = excluded.owner_id, updated_at = now(), last_accessed_at = now()`;
  } else {
    await tx`insert into storage.objects ${tx(values)}`;
  }
}

type postgresJson = Parameters<Tx["json"]>[0];

/** Receives the request body and stores it at `target`. Returns the object id. */
export async function writeUpload(
  ctx: StorageContext,
  req: IncomingMessage,
  target: ObjectTarget,
  options: WriteOptions,
): Promise<string> {
  const bucket = await requireBucket(ctx, target.bucket);
  const maxBytes = Math.min(bucket.file_size_limit ?? ctx.fileSizeLimit, ctx.fileSizeLimit);
  const upload = await receiveUpload(req, ctx.store, { maxBytes, allowedMimeTypes: bucket.allowed_mime_types });
  const version = randomUUID();
  const destination = ctx.store.pathOf(target.bucket, target.key, version);
  let placed = false;
  try {
    const { id, previous } = await transaction(ctx.sql, async (tx) => {
      await lockKey(tx, target.bucket, target.key);
      const existing = await findObject(tx, target.bucket, target.key);
      const id = existing?.id ?? randomUUID();
      const row = { id, bucket: target.bucket, key: target.key, version, metadata: metadataOf(upload), userMetadata: upload.userMetadata };
      await runWrite(tx, options.claims, () => insertObject(tx, row, options.ownerSub, options.upsert));
      await ctx.store.place(upload.tmpPath, destination);
      placed = true;
      return { id, previous: existing };
    });
    await removeVersion(ctx.store, previous);
    return id;
  } catch (err) {
    await (placed ? ctx.store.remove(destination) : ctx.store.discard(upload.tmpPath));
    throw err;
  }
}

/**
 * Whether the caller may write `target` (checked when a signed upload URL is
 * made): the row is written and rolled back, so the policies decide.
 */
export async function checkCanUpload(ctx: StorageContext, target: ObjectTarget, claims: Claims, upsert: boolean): Promise<void> {
  await requireBucket(ctx, target.bucket);
  const probe = new Error("rollback probe");
  try {
    await transaction(ctx.sql, async (tx) => {
      const row = {
        id: randomUUID(),
        bucket: target.bucket,
        key: target.key,
        version: randomUUID(),
        metadata: metadataOf({ eTag: '""', size: 0, contentType: "application/octet-stream", cacheControl: "no-cache" }),
        userMetadata: null,
      };
      await runWrite(tx, claims, () => insertObject(tx, row, claims.sub, upsert));
      throw probe;
    });
  } catch (err) {
    if (err !== probe) throw err;
  }
}

async function removeVersion(store: BlobStore, row: Pick<ObjectRow, "bucket_id" | "name" | "version"> | null): Promise<void> {
  if (row?.version) await store.remove(store.pathOf(row.bucket_id, row.name, row.version));
}

export interface Relocation {
  source: ObjectTarget;
  destination: ObjectTarget;
}

async function lockBoth(tx: Tx, { source, destination }: Relocation): Promise<void> {
  const keys = [source, destination].sort((a, b) => `${a.bucket}/${a.key}`.localeCompare(`${b.bucket}/${b.key}`));
  for (const k of keys) await lockKey(tx, k.bucket, k.key);
}

export async function moveObject(ctx: StorageContext, move: Relocation, claims: Claims): Promise<void> {
  await requireBucket(ctx, move.destination.bucket);
  let created: string | null = null;
  try {
    const original = await transaction(ctx.sql, async (tx) => {
      await lockBoth(tx, move);
      const existing = await findObject(tx, move.source.bucket, move.source.key);
      const moved = await runWrite(tx, claims, () => tx`
        update storage.objects
        set bucket_id = ${move.destination.bucket}, name = ${move.destination.key}, updated_at = now()
        where bucket_id = ${move.source.bucket} and name = ${move.source.key}
        returning id`);
      if (moved.length === 0 || !existing?.version) throw errors.noSuchKey();
      const from = ctx.store.pathOf(move.source.bucket, move.source.key, existing.version);
      const to = ctx.store.pathOf(move.destination.bucket, move.destination.key, existing.version);
      await ctx.store.alias(from, to);
      created = to;
      return existing;
    });
    await removeVersion(ctx.store, original);
  } catch (err) {
    if (created) await ctx.store.remove(created);
    throw err;
  }
}

export interface CopyOptions {
  upsert: boolean;
  /** false: the copy gets `userMetadata` instead of the source's. */
  copyMetadata: boolean;
  userMetadata: unknown;
}

export async function copyObject(ctx: StorageContext, copy: Relocation, claims: Claims, options: CopyOptions): Promise<string> {
  await requireBucket(ctx, copy.destination.bucket);
  const version = randomUUID();
  const to = ctx.store.pathOf(copy.destination.bucket, copy.destination.key, version);
  let placed = false;
  try {
    const { id, previous } = await transaction(ctx.sql, async (tx) => {
      await lockBoth(tx, copy);
      const replaced = await findObject(tx, copy.destination.bucket, copy.destination.key);
      const id = replaced?.id ?? randomUUID();
      await runWrite(tx, claims, async () => {
        const source = await findObject(tx, copy.source.bucket, copy.source.key);
        if (!source?.version || !source.metadata) throw errors.noSuchKey();
        const row = {
          id,
          bucket: copy.destination.bucket,
          key: copy.destination.key,
          version,
          metadata: { ...source.metadata, lastModified: new Date().toISOString() },
          userMetadata: options.copyMetadata ? source.user_metadata : options.userMetadata,
        };
        await insertObject(tx, row, claims.sub, options.upsert);
        await ctx.store.duplicate(ctx.store.pathOf(copy.source.bucket, copy.source.key, source.version), to);
        placed = true;
      });
      return { id, previous: replaced };
    });
    await removeVersion(ctx.store, previous);
    return id;
  } catch (err) {
    if (placed) await ctx.store.remove(to);
    throw err;
  }
}

const deletedColumns = "bucket_id, name, id, owner, owner_id, version, metadata, created_at, updated_at, last_accessed_at";

/** Deletes the named objects the caller may delete; returns their rows. */
export async function deleteObjects(ctx: StorageContext, bucket: string, keys: string[], claims: Claims): Promise<ObjectRow[]> {
  const rows = await transaction(ctx.sql, async (tx) => {
    await allowStorageDeletes(tx);
    return runWrite(tx, claims, () => tx<ObjectRow[]>`
      delete from storage.objects where bucket_id = ${bucket} and name = any(${keys}::text[])
      returning ${tx.unsafe(deletedColumns)}`);
  });
  for (const row of rows) await removeVersion(ctx.store, row);
  return rows;
}

/** Deletes every object of the bucket the caller may delete. */
export async function deleteAllObjects(ctx: StorageContext, bucket: string, claims: Claims): Promise<void> {
  const rows = await transaction(ctx.sql, async (tx) => {
    await allowStorageDeletes(tx);
    return runWrite(tx, claims, () => tx<ObjectRow[]>`
      delete from storage.objects where bucket_id = ${bucket} returning ${tx.unsafe(deletedColumns)}`);
  });
  for (const row of rows) await removeVersion(ctx.store, row);
}
