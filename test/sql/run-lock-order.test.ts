// Functions that lock several runs take them in id order, so two transactions
// naming the same runs in opposite orders wait for each other instead of
// deadlocking: complete_runs against complete_runs (webhook batches), and
// mark_submitted against complete_runs (a webhook that beat the dispatcher).
import type { TransactionSql } from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { db } from "../support/stack.ts";
import { waitFor } from "../support/wait.ts";
import { createTestEndpoint, type TestEndpoint } from "./endpoint-fixture.ts";

const sql = db(4);
const endpoints: TestEndpoint[] = [];
afterAll(async () => {
  for (const endpoint of endpoints) await endpoint.drop();
  await sql.end();
});

interface Summary {
  applied: boolean;
  outcome: string;
}

const delivery = (runId: string) => ({
  run_id: runId,
  attempt: 1,
  result: { id: `rp-${runId}`, status: "COMPLETED", output: { run: runId } },
});

const submission = (runId: string) => ({ run_id: runId, attempt: 1, runpod_job_id: `rp-${runId}` });

/** Two claimed runs of a fresh endpoint, lower id first, still `submitting`. */
async function claimTwoRuns(prefix: string): Promise<[string, string]> {
  const endpoint = await createTestEndpoint(sql, prefix);
  endpoints.push(endpoint);
  // Claimed in the transaction that makes them visible, so no dispatcher gets them first.
  const runs = await sql.begin(async (tx) => {
    await tx`insert into pgpod.jobs (endpoint, input, run_after)
             select ${endpoint.name}, jsonb_build_object('n', g), now() + interval '1 hour' from generate_series(1, 2) g`;
    await tx`update pgmq.${sql(`q_${endpoint.queue}`)} set vt = clock_timestamp()`;
    return await tx<{ run_id: string }[]>`select run_id from pgpod.claim_runs(${endpoint.name}, 2)`;
  });
  expect(runs).toHaveLength(2);
  const [low, high] = runs.map((r) => String(r.run_id)).sort((a, b) => Number(a) - Number(b));
  return [low, high];
}

/**
 * Transaction A completes the low run, lets `second` start and waits until it
 * is blocked on a lock, then completes the high run in the same transaction.
 * `second` names the high run before the low one. Locking in the order named
 * would make it hold the high run while waiting for the low one: a deadlock.
 */
async function againstOppositeOrder<T>(low: string, high: string, second: (tx: TransactionSql) => Promise<T>): Promise<[Summary[], T]> {
  let holdingLow!: () => void;
  const lowHeld = new Promise<void>((resolve) => (holdingLow = resolve));
  let waiterPid = 0;
  const first = sql.begin(async (tx) => {
    const [one] = await tx<{ s: Summary[] }[]>`select pgpod.complete_runs(${sql.json([delivery(low)])}) as s`;
    holdingLow();
    await waitFor("the second transaction to wait for the first", async () => {
      const [row] = await sql`select wait_event_type from pg_stat_activity where pid = ${waiterPid}`;
      return waiterPid !== 0 && row?.wait_event_type === "Lock";
    }, 10_000, 20);
    const [two] = await tx<{ s: Summary[] }[]>`select pgpod.complete_runs(${sql.json([delivery(high)])}) as s`;
    return [...one.s, ...two.s];
  });
  await lowHeld;
  const other = sql.begin(async (tx) => {
    const [{ pid }] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
    waiterPid = pid;
    return await second(tx);
  });
  return await Promise.all([first, other]) as [Summary[], T];
}

async function runStates(ids: string[]) {
  return await sql<{ id: string; webhook_count: number; status: string; runpod_job_id: string; job_status: string }[]>`
    select r.id::text, r.webhook_count, r.status, r.runpod_job_id, j.status::text as job_status
    from pgpod.runs r join pgpod.jobs j on j.run_id = r.id
    where r.id = any(${ids}::bigint[]) order by r.id`;
}

describe("run lock order", () => {
  it("complete_runs batches in opposite orders wait for each other instead of deadlocking", async () => {
    const [low, high] = await claimTwoRuns("vt_lockorder");
    await sql`select pgpod.mark_submitted(${sql.json([submission(low), submission(high)])})`;
    const [a, b] = await againstOppositeOrder(low, high, async (tx) => {
      const [row] = await tx<{ s: Summary[] }[]>`select pgpod.complete_runs(${sql.json([delivery(high), delivery(low)])}) as s`;
      return row.s;
    });
    expect(a.map((s) => [s.applied, s.outcome])).toEqual([[true, "succeeded"], [true, "succeeded"]]);
    expect(b.map((s) => [s.applied, s.outcome])).toEqual([[false, "duplicate"], [false, "duplicate"]]);
    expect((await runStates([low, high])).map((r) => [r.webhook_count, r.status, r.job_status])).toEqual([
      [2, "COMPLETED", "succeeded"],
      [2, "COMPLETED", "succeeded"],
    ]);
  });

  it("mark_submitted naming runs in opposite order to a webhook batch waits instead of deadlocking", async () => {
    const [low, high] = await claimTwoRuns("vt_marklock");
    const [a, marked] = await againstOppositeOrder(low, high, async (tx) => {
      const [row] = await tx<{ r: { submitted: number; stale: unknown[] } }[]>`
        select pgpod.mark_submitted(${sql.json([submission(high), submission(low)])}) as r`;
      return row.r;
    });
    expect(a.map((s) => [s.applied, s.outcome])).toEqual([[true, "succeeded"], [true, "succeeded"]]);
    // The webhooks recorded the same RunPod jobs first: nothing to mark, nothing stale.
    expect(marked).toEqual({ submitted: 0, stale: [] });
    expect((await runStates([low, high])).map((r) => [r.webhook_count, r.status, r.runpod_job_id, r.job_status])).toEqual([
      [1, "COMPLETED", `rp-${low}`, "succeeded"],
      [1, "COMPLETED", `rp-${high}`, "succeeded"],
    ]);
  });
});
