import type { BlobStore } from "./blobs.ts";
import type { Sql } from "./database.ts";
import type { Tokens } from "./tokens.ts";

/** What every route handler works with. */
export interface StorageContext {
  sql: Sql;
  store: BlobStore;
  tokens: Tokens;
  /**
   * The project's global file size limit in bytes (`[storage] file_size_limit`
   * in supabase/config.toml): no upload may be larger, whatever its bucket allows.
   */
  fileSizeLimit: number;
}

/** storage-js documents signed upload URLs as valid for two hours. */
export const signedUploadLifetimeSeconds = 2 * 60 * 60;

export const maxObjectsPerRequest = 1000;

/** `owner` is a uuid column: only a uuid `sub` goes there, any `sub` goes to `owner_id`. */
export function ownerColumns(sub: unknown): { owner: string | null; owner_id: string | null } {
  if (typeof sub !== "string" || sub === "") return { owner: null, owner_id: null };
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(sub);
  return { owner: isUuid ? sub : null, owner_id: sub };
}
