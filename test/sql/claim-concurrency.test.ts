// Concurrent claimers against the local stack: a job is never handed to two of them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../support/stack.ts";
import { waitFor } from "../support/wait.ts";
import { createTestEndpoint, type TestEndpoint } from "./endpoint-fixture.ts";

const sql = db(8);
afterAll(() => sql.end());

interface Claimed {
  run_id: string;
  job_ids: string[];
}

/** One connection claiming until the queue is empty. */
async function claimUntilEmpty(endpoint: string, maxRuns: number): Promise<Claimed[]> {
  const conn = await sql.reserve();
  try {
    const claimed: Claimed[] = [];
    for (;;) {
      const rows = await conn<{ run_id: string; jobs: { job_id: string }[] }[]>`
        select run_id, jobs from pgpod.claim_runs(${endpoint}, ${maxRuns})`;
      if (rows.length === 0) return claimed;
      for (const row of rows) claimed.push({ run_id: String(row.run_id), job_ids: row.jobs.map((j) => j.job_id) });
    }
  } finally {
    conn.release();
  }
}

/**
 * Enqueues jobs hidden until `reveal`, so every claimer starts on a full queue
 * (and a dispatcher kicked by the insert finds nothing).
 */
async function enqueueHidden(endpoint: TestEndpoint, count: number) {
  await sql`
    insert into pgpod.jobs (endpoint, input, run_after)
    select ${endpoint.name}, jsonb_build_object('n', g), now() + interval '1 hour'
    from generate_series(1, ${count}) g`;
  return () => sql`update pgmq.${sql(`q_${endpoint.queue}`)} set vt = clock_timestamp()`;
}

/**
 * A dispatcher kicked by another test file may be inside a claim of these jobs
 * when the claimers here stop (they skip what it holds locked), so the counts
 * are read again until that claim has committed.
 */
async function expectEachJobOnceInFlight(endpoint: TestEndpoint, total: number) {
  const counts = await readCounts(endpoint);
  const settled = counts.in_runs === total ? counts
    : await waitFor("claims in progress elsewhere to commit", async () => {
      const again = await readCounts(endpoint);
      return again.in_runs === total ? again : undefined;
    }, 5_000).catch(() => counts);
  expect(settled).toEqual({ jobs: total, in_runs: total, twice_in_flight: 0 });
}

async function readCounts(endpoint: TestEndpoint) {
  const [counts] = await sql<{ jobs: number; in_runs: number; twice_in_flight: number }[]>`
    select (select count(*)::int from pgpod.jobs where endpoint = ${endpoint.name}) as jobs,
           (select count(distinct j)::int from pgpod.runs r, unnest(r.job_ids) j where r.endpoint = ${endpoint.name}) as in_runs,
           (select count(*)::int from (
              select j from pgpod.runs r, unnest(r.job_ids) j
              where r.endpoint = ${endpoint.name} and r.status = 'submitting'
              group by j having count(*) > 1) x) as twice_in_flight`;
  return counts;
}

describe("claim_runs under concurrency", () => {
  let single: TestEndpoint;
  let grouped: TestEndpoint;
  let capped: TestEndpoint;

  beforeAll(async () => {
    single = await createTestEndpoint(sql, "vt_claim");
    grouped = await createTestEndpoint(sql, "vt_group", { batch_size: 4 });
    capped = await createTestEndpoint(sql, "vt_cap", { max_in_flight: 5 });
  });
  afterAll(async () => {
    await Promise.all([single, grouped, capped].filter(Boolean).map((e) => e.drop()));
  });

  it("hands each job to exactly one of four claimers", async () => {
    const reveal = await enqueueHidden(single, 300);
    await reveal();
    const results = await Promise.all([1, 2, 3, 4].map(() => claimUntilEmpty(single.name, 7)));

    const mine = results.flat().flatMap((c) => c.job_ids);
    expect(new Set(mine).size).toBe(mine.length);
    const runOfJob = await sql<{ id: string; run_id: string }[]>`
      select id, run_id::text from pgpod.jobs where id = any(${mine}::uuid[])`;
    const expected = new Map(results.flat().flatMap((c) => c.job_ids.map((id) => [id, c.run_id] as const)));
    for (const row of runOfJob) expect(row.run_id).toBe(expected.get(row.id));
    await expectEachJobOnceInFlight(single, 300);
  });

  it("never splits or repeats jobs across grouped runs", async () => {
    const reveal = await enqueueHidden(grouped, 101);
    await reveal();
    const results = await Promise.all([1, 2, 3].map(() => claimUntilEmpty(grouped.name, 3)));

    const runs = results.flat();
    for (const run of runs) expect(run.job_ids.length).toBeLessThanOrEqual(4);
    const mine = runs.flatMap((c) => c.job_ids);
    expect(new Set(mine).size).toBe(mine.length);
    await expectEachJobOnceInFlight(grouped, 101);
  });

  it("keeps max_in_flight across concurrent claimers", async () => {
    const reveal = await enqueueHidden(capped, 40);
    await reveal();
    await Promise.all([1, 2, 3, 4].map(() => claimUntilEmpty(capped.name, 10)));

    const [{ in_flight }] = await sql<{ in_flight: number }[]>`
      select count(*)::int as in_flight from pgpod.runs
      where endpoint = ${capped.name} and status in ('submitting', 'IN_QUEUE', 'IN_PROGRESS')`;
    expect(in_flight).toBe(5);
  });
});
