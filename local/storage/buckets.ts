// Bucket routes. They run under the caller's role, so only roles granted the
// table (service_role on a stock project) may create, change or delete buckets.
import { type StorageContext, ownerColumns } from "./context.ts";
import { type BucketRow, type Tx, allowStorageDeletes, asCaller, transaction } from "./database.ts";
import { errors, fromDatabaseError } from "./errors.ts";
import { checkBucketName } from "./names.ts";
import { deleteAllObjects } from "./object-writes.ts";
import type { Claims } from "./tokens.ts";

const bucketColumns =
  "id, name, owner, owner_id, public, file_size_limit::float8 as file_size_limit, allowed_mime_types, created_at, updated_at";

/** Bucket rows as the Storage API returns them (it reports every bucket as STANDARD here). */
function present(row: BucketRow) {
  return { ...row, type: "STANDARD" };
}

const sizeUnits: Record<string, number> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  tb: 1000 ** 4,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** `file_size_limit` as bytes: a number, or a string such as "50MB" or "1GiB". */
export function parseFileSizeLimit(value: unknown): number | null {
  if (value === undefined || value === null || value === "" || value === 0) return null;
  if (typeof value === "number" && Number.isInteger(value) && value > 0) return value;
  const match = typeof value === "string" ? /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(value) : null;
  if (!match) throw errors.invalidRequest(`invalid file_size_limit: ${JSON.stringify(value)}`);
  return Math.floor(Number(match[1]) * sizeUnits[(match[2] ?? "b").toLowerCase()]!);
}

function parseMimeTypes(value: unknown): string[] | null {
  if (value === undefined || value === null) return null;
  const valid = Array.isArray(value) && value.every((v) => typeof v === "string" && /^[\w.+-]+\/[\w.+*-]+$/.test(v));
  if (!valid) throw errors.invalidRequest(`invalid allowed_mime_types: ${JSON.stringify(value)}`);
  return value.length === 0 ? null : (value as string[]);
}

function asCallerMapped<T>(ctx: StorageContext, claims: Claims, fn: (tx: Tx) => Promise<T>) {
  return transaction(ctx.sql, async (tx) => {
    try {
      return await asCaller(tx, claims, () => fn(tx));
    } catch (err) {
      throw fromDatabaseError(err, errors.bucketExists) ?? err;
    }
  });
}

export async function listBuckets(ctx: StorageContext, claims: Claims, query: URLSearchParams) {
  const sortColumn = query.get("sortColumn") ?? "name";
  const sortOrder = query.get("sortOrder") ?? "asc";
  if (!["id", "name", "created_at", "updated_at"].includes(sortColumn) || !["asc", "desc"].includes(sortOrder)) {
    throw errors.invalidRequest("sortColumn or sortOrder is not supported");
  }
  const limit = query.has("limit") ? Number(query.get("limit")) : null;
  const offset = Number(query.get("offset") ?? 0);
  const search = query.get("search") ?? "";
  const rows = await asCallerMapped(ctx, claims, (tx) => tx<BucketRow[]>`
    select ${tx.unsafe(bucketColumns)} from storage.buckets
    where starts_with(lower(name), lower(${search}))
    order by ${tx(sortColumn)} ${sortOrder === "desc" ? tx`desc` : tx`asc`}
    limit ${limit} offset ${offset}`);
  return rows.map(present);
}

export async function getBucket(ctx: StorageContext, claims: Claims, id: string) {
  const rows = await asCallerMapped(ctx, claims, (tx) => tx<BucketRow[]>`
    select ${tx.unsafe(bucketColumns)} from storage.buckets where id = ${id}`);
  if (!rows[0]) throw errors.noSuchBucket();
  return present(rows[0]);
}

export async function createBucket(ctx: StorageContext, claims: Claims, body: Record<string, unknown>) {
  const name = checkBucketName(body.name);
  const id = checkBucketName(body.id ?? name);
  const row = {
    id,
    name,
    public: body.public === true,
    file_size_limit: parseFileSizeLimit(body.file_size_limit),
    allowed_mime_types: parseMimeTypes(body.allowed_mime_types),
    ...ownerColumns(claims.sub),
  };
  await asCallerMapped(ctx, claims, (tx) => tx`insert into storage.buckets ${tx(row)}`);
  return { name: id };
}

export async function updateBucket(ctx: StorageContext, claims: Claims, id: string, body: Record<string, unknown>) {
  const changes: Record<string, unknown> = {};
  if (typeof body.public === "boolean") changes.public = body.public;
  if ("file_size_limit" in body) changes.file_size_limit = parseFileSizeLimit(body.file_size_limit);
  if ("allowed_mime_types" in body) changes.allowed_mime_types = parseMimeTypes(body.allowed_mime_types);
  const updated = await asCallerMapped(ctx, claims, (tx) => tx`
    update storage.buckets set ${tx({ ...changes, updated_at: new Date() })} where id = ${id} returning id`);
  if (updated.length === 0) throw errors.noSuchBucket();
  return { message: "Successfully updated" };
}

export async function emptyBucket(ctx: StorageContext, claims: Claims, id: string) {
  await getBucket(ctx, claims, id);
  await deleteAllObjects(ctx, id, claims);
  return { message: "Successfully emptied" };
}

export async function deleteBucket(ctx: StorageContext, claims: Claims, id: string) {
  // Counted as the superuser: objects the caller cannot see still keep the bucket.
  const [{ count }] = await ctx.sql<{ count: number }[]>`
    select count(*)::int as count from storage.objects where bucket_id = ${id}`;
  if (count > 0) throw errors.bucketNotEmpty();
  const deleted = await asCallerMapped(ctx, claims, async (tx) => {
    await allowStorageDeletes(tx);
    return tx`delete from storage.buckets where id = ${id} returning id`;
  }).catch(
    (err: { code?: string }) => {
      throw err.code === "23503" ? errors.bucketNotEmpty() : err;
    },
  );
  if (deleted.length === 0) throw errors.noSuchBucket();
  await ctx.store.removeBucket(id);
  return { message: "Successfully deleted" };
}
