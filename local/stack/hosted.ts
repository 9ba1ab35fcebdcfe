// Hosted-privileges mode: a PostgreSQL cluster of its own whose superuser is
// supabase_admin, with the platform schemas owned and granted as on a hosted
// Supabase project, and `postgres` the non-superuser a project gives you.
// The migrations and seed are pushed as that postgres with the real CLI, so a
// migration that needs superuser, or ownership of a platform object postgres
// does not own, fails here as it would on a project.
//
// It is a cluster of its own because roles are cluster-wide: the main stack's
// `postgres` is its cluster's bootstrap superuser and stays one.
import { join } from "node:path";
import { repoRoot, type StackConfig } from "./config.ts";
import * as pg from "./postgres.ts";
import { applyPlatform, supabaseCli } from "./stack.ts";

export type HostedCluster = Pick<StackConfig, "stateDir" | "dbPort">;

const superuser = "supabase_admin";
const hostedSql = (file: string) => join(repoRoot, "local", "sql", "hosted", file);

export const hostedUrls = (c: HostedCluster) => ({
  /** The project's `postgres`, as migrations and the SQL editor use it. */
  postgres: `postgresql://postgres:postgres@127.0.0.1:${c.dbPort}/postgres`,
  /** The platform's superuser, for what only Supabase itself does. */
  supabaseAdmin: `postgresql://${superuser}:postgres@127.0.0.1:${c.dbPort}/postgres`,
});

/**
 * Creates the cluster in an empty state folder, starts it, gives it the
 * hosted roles, platform schemas and extensions (created beforehand as
 * supabase_admin, as supautils does on a project), then pushes the
 * migrations and seed as postgres. Returns what `db push` printed.
 */
export async function startHostedDatabase(c: HostedCluster): Promise<{ pushOutput: string }> {
  if (pg.isInitialised(c)) throw new Error(`${c.stateDir} already holds a cluster; the hosted-privileges mode starts from an empty folder`);
  pg.initCluster(c, superuser);
  pg.startCluster(c);
  pg.runSqlFiles(c, [hostedSql("01_roles.sql")], superuser);
  await applyPlatform(c, hostedUrls(c).supabaseAdmin, superuser);
  pg.runSqlFiles(c, [hostedSql("02_ownership.sql")], superuser);
  const pushOutput = supabaseCli(["db", "push", `--remote=${hostedUrls(c).postgres}`, "--include-all", "--include-seed", "--yes"]);
  return { pushOutput };
}

export function stopHostedDatabase(c: HostedCluster): void {
  pg.stopCluster(c);
}
