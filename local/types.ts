// `npm run types`: supabase/database.types.ts, the output of the real
// Supabase CLI's `gen types typescript` for the pgpod schema and the seed's
// public tables. It is generated from a throw-away stack (migrations and seed
// only, nothing a developer added), and `npm test` checks it against the
// current migrations the same way.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, resolveConfig, stackEnv } from "./stack/config.ts";
import { freePort } from "./stack/ports.ts";
import * as stack from "./stack/stack.ts";

export const typesFile = join(repoRoot, "supabase", "database.types.ts");
export const typesSchemas = ["pgpod", "public"];

/** What `supabase gen types typescript` prints for the database; it needs no Docker with --remote. */
export function generateTypes(dbUrl: string): string {
  const result = spawnSync(
    join(repoRoot, "node_modules", ".bin", "supabase"),
    ["gen", "types", "typescript", `--remote=${dbUrl}`, "--schema", typesSchemas.join(",")],
    { cwd: repoRoot, encoding: "utf8", env: { ...process.env, PGSSLMODE: "disable" }, maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.status !== 0) throw new Error(`supabase gen types failed:\n${(result.stderr || result.stdout).trim()}`);
  return result.stdout;
}

/** Undefined when the committed file is what the migrations generate, else what to do. */
export function typesProblem(dbUrl: string, file = typesFile): string | undefined {
  let committed = "";
  try {
    committed = readFileSync(file, "utf8");
  } catch {
    return `${file} is missing: run "npm run types" and commit it`;
  }
  if (committed === generateTypes(dbUrl)) return undefined;
  return `${file} does not match the migrations: run "npm run types" and commit the result`;
}

export async function main(): Promise<number> {
  const config = resolveConfig([
    "--state-dir", join(repoRoot, `.pgpod-types-${process.pid}`),
    "--db-port", String(await freePort()),
    "--api-port", String(await freePort()),
    "--runpod-port", String(await freePort()),
  ], {});
  try {
    await stack.start(config);
    process.stdout.write(`generating ${typesFile} (schemas ${typesSchemas.join(", ")})\n`);
    writeFileSync(typesFile, generateTypes((await stackEnv(config)).SUPABASE_DB_URL));
  } finally {
    await stack.stop(config);
    rmSync(config.stateDir, { recursive: true, force: true });
  }
  return 0;
}
