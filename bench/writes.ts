// Durable writes per job: rows inserted, updated and deleted in permanent
// tables (pg_stat_user_tables of the system's own database) and WAL bytes
// (pg_current_wal_lsn, the whole cluster) between two snapshots.
import type { Sql } from "./context.ts";
import { sleep } from "./context.ts";

export interface WriteSnapshot {
  rows: Map<string, number>;
  walLsn: string;
}

export interface WriteDelta {
  /** Rows written per table, largest first. */
  tables: [string, number][];
  rows: number;
  walBytes: number;
}

/**
 * Backends publish their table counters when they end (or, idle, within
 * about ten seconds): callers close the connections that did the work first,
 * and the snapshot waits a moment for their exit to be recorded.
 */
export async function writeSnapshot(sql: Sql): Promise<WriteSnapshot> {
  await sleep(300);
  const rows = await sql<{ name: string; written: string }[]>`
    select s.schemaname || '.' || s.relname as name, (s.n_tup_ins + s.n_tup_upd + s.n_tup_del)::text as written
    from pg_stat_user_tables s join pg_class c on c.oid = s.relid
    where c.relpersistence = 'p'`;
  const [{ lsn }] = await sql<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`;
  return { rows: new Map(rows.map((r) => [r.name, Number(r.written)])), walLsn: lsn };
}

export async function writeDelta(sql: Sql, before: WriteSnapshot, after: WriteSnapshot): Promise<WriteDelta> {
  const tables: [string, number][] = [];
  for (const [name, written] of after.rows) {
    const delta = written - (before.rows.get(name) ?? 0);
    if (delta > 0) tables.push([name, delta]);
  }
  tables.sort((a, b) => b[1] - a[1]);
  const [{ bytes }] = await sql<{ bytes: string }[]>`select pg_wal_lsn_diff(${after.walLsn}::pg_lsn, ${before.walLsn}::pg_lsn)::text as bytes`;
  return { tables, rows: tables.reduce((n, [, d]) => n + d, 0), walBytes: Number(bytes) };
}
