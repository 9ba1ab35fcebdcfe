// A Storage server on a free port for one test file: its own data folder, its
// own JWT secret, and clients signed for any role. The clients are storage-js's
// StorageClient, the same object supabase-js exposes as `supabase.storage`
// (supabase-js itself needs a native WebSocket that Node 20 lacks).
import { StorageClient } from "@supabase/storage-js";
import { SignJWT } from "jose";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { projectFileSizeLimit } from "../../local/storage/project-limits.ts";
import { createStorageHandler } from "../../local/storage/server.ts";

export const dbUrl = process.env.SUPABASE_DB_URL ?? "";
if (!dbUrl) throw new Error("storage tests need SUPABASE_DB_URL (a database with the platform SQL applied)");

export interface StorageHarness {
  url: string;
  dataDir: string;
  secret: string;
  sql: postgres.Sql;
  /** What the server logged. */
  logs: string[];
  sign(claims: Record<string, unknown>, expiresIn?: string): Promise<string>;
  /** A storage client whose requests carry `token`. */
  client(token: string): StorageClient;
  serviceClient(): Promise<StorageClient>;
  anonClient(): Promise<StorageClient>;
  userClient(sub: string): Promise<StorageClient>;
  /** Every file under the data folder (relative), to prove what was or was not written. */
  files(): Promise<string[]>;
  close(): Promise<void>;
}

/** The repo's own supabase/config.toml, whose [storage] settings the stack applies. */
export const projectConfigFile = join(import.meta.dirname, "..", "..", "supabase", "config.toml");

/** `fileSizeLimit` stands in for the project's global limit (config.toml's by default). */
export async function startStorage(options: { fileSizeLimit?: number } = {}): Promise<StorageHarness> {
  const dataDir = await mkdtemp(join(tmpdir(), "storage-test-"));
  const secret = `test-secret-${Math.random().toString(36).slice(2)}-0123456789abcdef`;
  const key = new TextEncoder().encode(secret);
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const logs: string[] = [];
  const handler = createStorageHandler({
    dbUrl,
    jwtSecret: secret,
    dataDir,
    fileSizeLimit: options.fileSizeLimit ?? projectFileSizeLimit(projectConfigFile),
    log: (line) => logs.push(line),
  });
  server.on("request", (req, res) => {
    const prefix = "/storage/v1";
    if (req.url?.startsWith(prefix)) void handler.handle(req, res, req.url.slice(prefix.length));
    else res.writeHead(404).end();
  });
  const sql = postgres(dbUrl, { max: 2, onnotice: () => {} });

  const sign = (claims: Record<string, unknown>, expiresIn = "1h") =>
    new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setIssuedAt().setExpirationTime(expiresIn).sign(key);
  const client = (token: string) =>
    new StorageClient(`${url}/storage/v1`, { apikey: token, Authorization: `Bearer ${token}` });

  async function files(): Promise<string[]> {
    const entries = await readdir(dataDir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dataDir.length + 1)).sort();
  }

  return {
    url,
    dataDir,
    secret,
    sql,
    logs,
    sign,
    client,
    serviceClient: async () => client(await sign({ role: "service_role" })),
    anonClient: async () => client(await sign({ role: "anon" })),
    userClient: async (sub) => client(await sign({ role: "authenticated", sub, aud: "authenticated" })),
    files,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await handler.close();
      await sql.end({ timeout: 5 });
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A bucket name no other test file uses. */
export function uniqueBucket(label: string): string {
  return `t-${label}-${process.pid}-${Date.now().toString(36)}`;
}

/**
 * Removes buckets (and their rows) a test created, whatever state they are in.
 * Straight in SQL, so it needs the guard's permission; the harness deletes
 * the files with its data folder.
 */
export async function dropBuckets(sql: postgres.Sql, ids: string[]): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`select pg_catalog.set_config('storage.allow_delete_query', 'true', true)`;
    await tx`delete from storage.objects where bucket_id = any(${ids}::text[])`;
    await tx`delete from storage.buckets where id = any(${ids}::text[])`;
  });
}
