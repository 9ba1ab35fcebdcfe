// Postgres access for the Storage server. The pool logs in as the superuser;
// each request's reads and writes of storage tables run inside a transaction
// that switches to the caller's role and claims first, so the project's RLS
// policies and grants decide, as on Supabase.
import type postgres from "postgres";
import { recoveringSql } from "../stack/db-client.ts";
import { errors } from "./errors.ts";
import type { Claims } from "./tokens.ts";

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;

export function openDatabase(dbUrl: string): Sql {
  return recoveringSql(dbUrl, { max: 6, idle_timeout: 30, onnotice: () => {} });
}

/** Runs `fn` in one transaction (as the superuser until `asCaller` is used). */
export async function transaction<T>(sql: Sql, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return (await sql.begin((tx) => fn(tx))) as T;
}

/**
 * Runs `fn` under the caller's role and `request.jwt.claims`, then returns the
 * transaction to the superuser. Only roles the `authenticator` login may
 * become are accepted, as PostgREST does, so a token cannot claim `postgres`.
 */
export async function asCaller<T>(tx: Tx, claims: Claims, fn: () => Promise<T>): Promise<T> {
  const switched = await tx`
    select pg_catalog.set_config('role', r.rolname, true),
           pg_catalog.set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)
    from pg_catalog.pg_roles r
    where r.rolname = ${claims.role} and pg_catalog.pg_has_role('authenticator', r.oid, 'member')`;
  if (switched.length === 0) throw errors.accessDenied(`role "${claims.role}" is not allowed`);
  const result = await fn();
  await tx`select pg_catalog.set_config('role', 'none', true)`;
  return result;
}

/**
 * Lets this transaction delete rows of storage tables: their delete guard
 * refuses any DELETE that does not come through the Storage API.
 */
export async function allowStorageDeletes(tx: Tx): Promise<void> {
  await tx`select pg_catalog.set_config('storage.allow_delete_query', 'true', true)`;
}

/** Serialises writers of one object key until the transaction ends. */
export async function lockKey(tx: Tx, bucket: string, key: string): Promise<void> {
  await tx`select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(${`storage:${bucket}/${key}`}, 0))`;
}

export interface BucketRow {
  id: string;
  name: string;
  owner: string | null;
  owner_id: string | null;
  public: boolean;
  file_size_limit: number | null;
  allowed_mime_types: string[] | null;
  created_at: Date;
  updated_at: Date;
}

export interface ObjectRow {
  id: string;
  bucket_id: string;
  name: string;
  owner: string | null;
  owner_id: string | null;
  version: string | null;
  metadata: ObjectMetadata | null;
  user_metadata: unknown;
  created_at: Date;
  updated_at: Date;
  last_accessed_at: Date;
}

/** What the Storage API records in `storage.objects.metadata`. */
export interface ObjectMetadata {
  eTag: string;
  size: number;
  mimetype: string;
  cacheControl: string;
  lastModified: string;
  contentLength: number;
  httpStatusCode: number;
}

export async function findBucket(sql: Sql | Tx, id: string): Promise<BucketRow | null> {
  const rows = await sql<BucketRow[]>`
    select id, name, owner, owner_id, public, file_size_limit::float8 as file_size_limit,
           allowed_mime_types, created_at, updated_at
    from storage.buckets where id = ${id}`;
  return rows[0] ?? null;
}

export async function findObject(sql: Sql | Tx, bucket: string, key: string): Promise<ObjectRow | null> {
  const rows = await sql<ObjectRow[]>`
    select id, bucket_id, name, owner, owner_id, version, metadata, user_metadata,
           created_at, updated_at, last_accessed_at
    from storage.objects where bucket_id = ${bucket} and name = ${key}`;
  return rows[0] ?? null;
}
