// Two complete_runs batches over the same runs, named in opposite orders, in
// concurrent transactions: both lock runs by id, so neither deadlocks and
// each run is applied once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../support/stack.ts";
import { waitFor } from "../support/wait.ts";
import { createTestEndpoint, type TestEndpoint } from "./endpoint-fixture.ts";

const sql = db(4);
afterAll(() => sql.end());

interface Summary {
  applied: boolean;
  outcome: string;
}

const delivery = (runId: string) => ({
  run_id: runId,
  attempt: 1,
  result: { id: `rp-${runId}`, status: "COMPLETED", output: { run: runId } },
});

describe("complete_runs lock order", () => {
  let endpoint: TestEndpoint;
  let low: string;
  let high: string;

  beforeAll(async () => {
    endpoint = await createTestEndpoint(sql, "vt_lockorder");
    // Claimed in the transaction that makes them visible, so no dispatcher gets them first.
    const runs = await sql.begin(async (tx) => {
      await tx`insert into pgpod.jobs (endpoint, input, run_after)
               select ${endpoint.name}, jsonb_build_object('n', g), now() + interval '1 hour' from generate_series(1, 2) g`;
      await tx`update pgmq.${sql(`q_${endpoint.queue}`)} set vt = clock_timestamp()`;
      return await tx<{ run_id: string; attempt: number }[]>`select run_id, attempt from pgpod.claim_runs(${endpoint.name}, 2)`;
    });
    expect(runs).toHaveLength(2);
    [low, high] = runs.map((r) => String(r.run_id)).sort((a, b) => Number(a) - Number(b));
    await sql`select pgpod.mark_submitted(${sql.json(runs.map((r) => ({ run_id: r.run_id, attempt: r.attempt, runpod_job_id: `rp-${r.run_id}` })))})`;
  });
  afterAll(() => endpoint?.drop());

  it("opposite orders wait for each other instead of deadlocking", async () => {
    let holdingLow!: () => void;
    const lowHeld = new Promise<void>((resolve) => (holdingLow = resolve));
    let waiterPid = 0;

    // A: records the low run, and while it still holds it, the high one.
    const first = sql.begin(async (tx) => {
      const [one] = await tx<{ s: Summary[] }[]>`select pgpod.complete_runs(${sql.json([delivery(low)])}) as s`;
      holdingLow();
      // B has to be waiting for the low run's lock before A goes on.
      await waitFor("the second batch to wait for the first", async () => {
        const [row] = await sql`select wait_event_type from pg_stat_activity where pid = ${waiterPid}`;
        return waiterPid !== 0 && row?.wait_event_type === "Lock";
      }, 10_000, 20);
      const [two] = await tx<{ s: Summary[] }[]>`select pgpod.complete_runs(${sql.json([delivery(high)])}) as s`;
      return [...one.s, ...two.s];
    });
    await lowHeld;
    // B: the same runs, high first.
    const second = sql.begin(async (tx) => {
      const [{ pid }] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
      waiterPid = pid;
      const [row] = await tx<{ s: Summary[] }[]>`select pgpod.complete_runs(${sql.json([delivery(high), delivery(low)])}) as s`;
      return row.s;
    });

    const [a, b] = await Promise.all([first, second]);
    expect(a.map((s) => [s.applied, s.outcome])).toEqual([[true, "succeeded"], [true, "succeeded"]]);
    expect(b.map((s) => [s.applied, s.outcome])).toEqual([[false, "duplicate"], [false, "duplicate"]]);
    const rows = await sql<{ id: string; webhook_count: number; status: string; job_status: string }[]>`
      select r.id::text, r.webhook_count, r.status, j.status::text as job_status
      from pgpod.runs r join pgpod.jobs j on j.run_id = r.id
      where r.id = any(${[low, high]}::bigint[]) order by r.id`;
    expect(rows).toEqual([
      { id: low, webhook_count: 2, status: "COMPLETED", job_status: "succeeded" },
      { id: high, webhook_count: 2, status: "COMPLETED", job_status: "succeeded" },
    ]);
  });
});
