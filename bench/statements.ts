// Server time per statement from pg_stat_statements, when the cluster loads
// it (the local stack preloads it, as Supabase does): reset before a step,
// read after it, matched by the function each statement calls.
import type { Sql } from "./context.ts";

export interface StatementTime {
  calls: number;
  totalMs: number;
}

/** Creates the extension if its library is loaded; false when it cannot be used. */
export async function statementsAvailable(sql: Sql): Promise<boolean> {
  const [{ loaded }] = await sql<{ loaded: boolean }[]>`
    select 'pg_stat_statements' = any(string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ',')) as loaded`;
  if (!loaded) return false;
  await sql`create extension if not exists pg_stat_statements with schema extensions`;
  return true;
}

export async function resetStatements(sql: Sql): Promise<void> {
  await sql`select extensions.pg_stat_statements_reset()`;
}

/** Calls and total execution time of this database's statements whose text contains each pattern. */
export async function statementTimes(sql: Sql, patterns: Record<string, string>): Promise<Record<string, StatementTime>> {
  const rows = await sql<{ query: string; calls: string; total: number }[]>`
    select query, calls::text as calls, total_exec_time as total from extensions.pg_stat_statements
    where dbid = (select oid from pg_database where datname = current_database())`;
  const times: Record<string, StatementTime> = {};
  for (const [step, pattern] of Object.entries(patterns)) {
    const matching = rows.filter((r) => r.query.includes(pattern));
    times[step] = { calls: matching.reduce((n, r) => n + Number(r.calls), 0), totalMs: matching.reduce((n, r) => n + r.total, 0) };
  }
  return times;
}
