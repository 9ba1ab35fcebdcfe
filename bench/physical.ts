// Section 1: the ceiling for enqueueing on this machine. Single-row inserts
// into a copy of pgpod.jobs (same columns, defaults and indexes) that has no
// triggers, no foreign keys and no queue, from the same number of clients,
// repeated once per round.
import { type BenchContext, concurrently, connect } from "./context.ts";
import { perSecond, type SectionResult, spread, summarize } from "./report.ts";

export async function physical(ctx: BenchContext): Promise<SectionResult> {
  const { concurrency, physicalRows: rows, rounds } = ctx.sizes;
  const sql = connect(ctx.env, concurrency);
  const rates: number[] = [];
  try {
    await sql`create schema if not exists bench`;
    const [{ id: owner }] = await sql<{ id: string }[]>`insert into auth.users (id) values (gen_random_uuid()) returning id`;
    for (let round = 1; round <= rounds; round++) {
      await sql`drop table if exists bench.plain_jobs`;
      await sql`create table bench.plain_jobs (like pgpod.jobs including defaults including indexes including constraints)`;
      ctx.log(`physical round ${round}/${rounds}: ${rows} single-row inserts from ${concurrency} clients`);
      const ms = await concurrently(sql, concurrency, rows, (conn, i) =>
        conn`insert into bench.plain_jobs (endpoint, input, owner_id, max_attempts)
             values ('plain', ${conn.json({ n: i })}, ${owner}, 3)`);
      const [{ count }] = await sql<{ count: number }[]>`select count(*)::int as count from bench.plain_jobs`;
      if (count !== rows) throw new Error(`physical: expected ${rows} rows, found ${count}`);
      rates.push(perSecond(rows, ms));
    }
    await sql`drop schema bench cascade`;
  } finally {
    await sql.end({ timeout: 5 });
  }
  const insertsPerS = summarize(rates);
  return {
    id: "physical",
    title: "1. Physical reference: plain inserts, no queue",
    settings: { rows, clients: concurrency, rounds, table: "copy of pgpod.jobs without triggers/FKs/queue" },
    tables: [{
      title: `Single-row INSERT ceiling, median (min–max) over ${rounds} rounds`,
      columns: ["what", "rows per round", "rows/s"],
      rows: [["INSERT into bench.plain_jobs", rows, spread(insertsPerS)]],
    }],
    notes: ["Each insert is its own transaction (autocommit); synchronous_commit = off as in the local stack."],
    figures: { "physical.inserts_per_s": insertsPerS },
  };
}
