// Section 1: the ceiling for enqueueing on this machine. Single-row inserts
// into a copy of pgpod.jobs (same columns, defaults and indexes) that has no
// triggers, no foreign keys and no queue, from the same number of clients.
import { type BenchContext, concurrently, connect } from "./context.ts";
import { perSecond, round, type SectionResult, timed } from "./report.ts";

export interface PhysicalResult extends SectionResult {
  insertsPerS: number;
}

export async function physical(ctx: BenchContext): Promise<PhysicalResult> {
  const { concurrency, jobs } = ctx.sizes;
  const sql = connect(ctx.env, concurrency);
  try {
    await sql`create schema if not exists bench`;
    await sql`drop table if exists bench.plain_jobs`;
    await sql`create table bench.plain_jobs (like pgpod.jobs including defaults including indexes including constraints)`;
    const [{ id: owner }] = await sql<{ id: string }[]>`insert into auth.users (id) values (gen_random_uuid()) returning id`;
    ctx.log(`physical: ${jobs} single-row inserts from ${concurrency} clients`);
    const { ms } = await timed(() =>
      concurrently(sql, concurrency, jobs, (conn, i) =>
        conn`insert into bench.plain_jobs (endpoint, input, owner_id, max_attempts)
             values ('plain', ${conn.json({ n: i })}, ${owner}, 3)`),
    );
    const [{ count }] = await sql<{ count: number }[]>`select count(*)::int as count from bench.plain_jobs`;
    if (count !== jobs) throw new Error(`physical: expected ${jobs} rows, found ${count}`);
    await sql`drop schema bench cascade`;
    const insertsPerS = perSecond(jobs, ms);
    return {
      id: "physical",
      title: "1. Physical reference: plain inserts, no queue",
      settings: { rows: jobs, clients: concurrency, table: "copy of pgpod.jobs without triggers/FKs/queue" },
      tables: [{
        title: "Single-row INSERT ceiling",
        columns: ["what", "rows", "seconds", "rows/s"],
        rows: [["INSERT into bench.plain_jobs", jobs, round(ms / 1000), round(insertsPerS)]],
      }],
      notes: ["Each insert is its own transaction (autocommit); synchronous_commit = off as in the local stack."],
      insertsPerS,
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
