// The project-wide Storage settings the real server takes from the project:
// locally, `[storage]` in supabase/config.toml, as the Supabase CLI reads it.
import { readFileSync } from "node:fs";
import { parse as parseToml } from "smol-toml";
import { parseFileSizeLimit } from "./buckets.ts";

/** The Supabase CLI's default when config.toml sets no `[storage] file_size_limit`. */
const cliDefaultFileSizeLimit = "50MiB";

/** The global file size limit in bytes, from `[storage] file_size_limit` of a config.toml. */
export function projectFileSizeLimit(configFile: string): number {
  const config = parseToml(readFileSync(configFile, "utf8")) as { storage?: { file_size_limit?: unknown } };
  const limit = parseFileSizeLimit(config.storage?.file_size_limit ?? cliDefaultFileSizeLimit);
  if (limit === null) throw new Error(`${configFile}: [storage] file_size_limit must be a size such as "50MiB"`);
  return limit;
}
