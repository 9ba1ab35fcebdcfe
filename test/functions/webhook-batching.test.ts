// Group commit in the webhook: concurrent deliveries to one function instance
// share one complete_runs call, each still answered with its own summary; a
// delivery the database refuses fails alone; a database outage answers 503 to
// every delivery of the batch, and RunPod's retry then applies each once.
import { describe, expect, it } from "vitest";
import { type Limits, webhookConfig } from "../../supabase/functions/_shared/config.ts";
import { type PgpodDb, pgpodDb } from "../../supabase/functions/_shared/db.ts";
import { sharedDeps } from "../../supabase/functions/_shared/deps.ts";
import { webhookHandler } from "../../supabase/functions/pgpod-webhook/handler.ts";
import { createEndpoint, download, scriptedWorker, sql, startEmulator, uniqueName, webhookUrl, worker } from "./harness.ts";

const emulator = await startEmulator({ scripted: worker(scriptedWorker) });
// A PNG signature and header chunk: enough for the bytes to say "image/png".
const png = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489", "hex").toString("base64");

interface InFlight {
  runId: string;
  jobId: string;
  runpodJobId: string;
}

/** Runs in flight on RunPod as pgpod sees them, made in SQL so no dispatcher takes part. */
async function inFlight(endpoint: string, count: number): Promise<InFlight[]> {
  const runs = await sql.begin(async (tx) => {
    await tx`insert into pgpod.jobs (endpoint, input, run_after)
             select ${endpoint}, jsonb_build_object('n', g), now() + interval '1 hour' from generate_series(1, ${count}::int) g`;
    await tx`update pgmq.${sql(`q_pgpod_${endpoint}`)} set vt = clock_timestamp()`;
    return await tx<{ run_id: string; attempt: number; jobs: { job_id: string }[] }[]>`
      select run_id, attempt, jobs from pgpod.claim_runs(${endpoint}, ${count})`;
  });
  expect(runs).toHaveLength(count);
  await sql`select pgpod.mark_submitted(${sql.json(runs.map((r) => ({ run_id: r.run_id, attempt: r.attempt, runpod_job_id: `rp-${r.run_id}` })))})`;
  return runs.map((r) => ({ runId: String(r.run_id), jobId: r.jobs[0].job_id, runpodJobId: `rp-${r.run_id}` }));
}

/** A webhook handler of its own (one function instance) whose complete_runs calls are counted. */
function instance(limits: Partial<Limits>, completeRunsDb?: PgpodDb) {
  const config = webhookConfig(process.env, limits);
  const deps = sharedDeps(config, "pgpod-webhook-test");
  const real = deps.db;
  const calls: number[] = [];
  const target = completeRunsDb ?? real;
  deps.db = {
    ...real,
    completeRuns: (deliveries) => (calls.push(deliveries.length), target.completeRuns(deliveries)),
  };
  return { handler: webhookHandler(config, deps), calls, close: () => real.close() };
}

async function deliver(handler: (req: Request) => Promise<Response>, run: InFlight, body: Record<string, unknown>) {
  const res = await handler(new Request(await webhookUrl(run.runId, 1), { method: "POST", body: JSON.stringify({ id: run.runpodJobId, ...body }) }));
  return { status: res.status, body: await res.json() };
}

async function state(runs: InFlight[]) {
  return await sql<{ status: string; output: unknown; error: string | null; webhook_count: number; files: number }[]>`
    select j.status::text, j.output, j.error, r.webhook_count,
           (select count(*)::int from pgpod.job_files f where f.job_id = j.id) as files
    from pgpod.jobs j join pgpod.runs r on r.id = j.run_id
    where j.id = any(${runs.map((r) => r.jobId)}::uuid[])
    order by array_position(${runs.map((r) => r.jobId)}::uuid[], j.id)`;
}

describe("webhook group commit", () => {
  it("records concurrent deliveries in one complete_runs call, each answered and applied once", async () => {
    const ep = await createEndpoint(uniqueName("batch"), { runpodEndpointId: "scripted", emulator });
    const runs = await inFlight(ep.name, 8);
    const { handler, calls, close } = instance({ completionBatchSize: runs.length, completionBatchWaitMs: 60_000 });
    try {
      const answers = await Promise.all(runs.map((run, i) =>
        deliver(handler, run, { status: "COMPLETED", output: i % 2 === 0 ? { n: i } : { n: i, files: [{ filename: "out.png", data: png }] } })
      ));
      expect(calls).toEqual([runs.length]);
      answers.forEach((answer, i) => {
        expect(answer).toEqual({ status: 200, body: { applied: true, outcome: "succeeded", job_ids: [runs[i].jobId] } });
      });
      const rows = await state(runs);
      rows.forEach((row, i) => {
        expect(row).toMatchObject({ status: "succeeded", webhook_count: 1, files: i % 2 === 0 ? 0 : 1 });
        expect(row.output).toMatchObject({ n: i });
      });
    } finally {
      await close();
    }
  });

  it("fails only the delivery the database refuses; its neighbours in the batch succeed", async () => {
    const ep = await createEndpoint(uniqueName("refused"), { runpodEndpointId: "scripted", emulator, maxAttempts: 1 });
    const runs = await inFlight(ep.name, 4);
    const { handler, calls, close } = instance({ completionBatchSize: runs.length, completionBatchWaitMs: 60_000 });
    try {
      // A time no bigint holds: valid JSON and a valid RunPod body, refused by Postgres.
      const answers = await Promise.all(runs.map((run, i) =>
        deliver(handler, run, { status: "COMPLETED", output: { n: i }, ...(i === 2 ? { executionTime: 1e300 } : {}) })
      ));
      expect(answers.map((a) => [a.status, a.body.outcome])).toEqual([[200, "succeeded"], [200, "succeeded"], [200, "failed"], [200, "succeeded"]]);
      // the batch, then each delivery alone, then the refused one without its result
      expect(calls).toEqual([4, 1, 1, 1, 1, 1]);
      const rows = await state(runs);
      expect(rows.map((r) => r.status)).toEqual(["succeeded", "succeeded", "failed", "succeeded"]);
      expect(rows[2].error).toMatch(/^pgpod: output refused: the database refused it \(22003: .*bigint/);
      expect(rows.map((r) => r.webhook_count)).toEqual([1, 1, 1, 1]);
    } finally {
      await close();
    }
  });

  it("applies a delivery repeated within one batch once and answers the repeat as a duplicate", async () => {
    const ep = await createEndpoint(uniqueName("repeat"), { runpodEndpointId: "scripted", emulator });
    const [run, other] = await inFlight(ep.name, 2);
    const { handler, calls, close } = instance({ completionBatchSize: 3, completionBatchWaitMs: 60_000 });
    try {
      const body = { status: "COMPLETED", output: { files: [{ filename: "once.png", data: png }] } };
      const answers = await Promise.all([deliver(handler, run, body), deliver(handler, run, body), deliver(handler, other, { status: "COMPLETED", output: { n: 1 } })]);
      expect(calls).toEqual([3]);
      expect(answers.slice(0, 2).map((a) => [a.status, a.body.applied, a.body.outcome]).sort()).toEqual([
        [200, false, "duplicate"],
        [200, true, "succeeded"],
      ]);
      expect(answers[2].body).toMatchObject({ applied: true, outcome: "succeeded" });
      const [row] = await state([run]);
      expect(row).toMatchObject({ status: "succeeded", webhook_count: 2, files: 1 });
      const events = await sql`select kind from pgpod.job_events where run_id = ${run.runId} and kind = 'duplicate'`;
      expect(events).toHaveLength(1);
    } finally {
      await close();
    }
  });

  it("answers 503 to every delivery of a batch while the database is down, and the retries apply each once", async () => {
    const ep = await createEndpoint(uniqueName("dbdown"), { runpodEndpointId: "scripted", emulator });
    const runs = await inFlight(ep.name, 3);
    // The run contexts are read, the files stored, then the database goes away.
    const unreachable = pgpodDb("postgresql://postgres:postgres@127.0.0.1:1/postgres", "pgpod-webhook-test");
    const down = instance({ completionBatchSize: runs.length, completionBatchWaitMs: 60_000 }, unreachable);
    const body = (i: number) => ({ status: "COMPLETED", output: { n: i, files: [{ filename: "late.png", data: png }] } });
    try {
      const failed = await Promise.all(runs.map((run, i) => deliver(down.handler, run, body(i))));
      expect(down.calls).toEqual([runs.length]);
      expect(failed.map((a) => a.status)).toEqual([503, 503, 503]);
      expect((await state(runs)).map((r) => [r.status, r.webhook_count, r.files])).toEqual([["submitted", 0, 0], ["submitted", 0, 0], ["submitted", 0, 0]]);
      // Storage was written before the SQL call; the retry writes the same paths again.
      for (const run of runs) expect((await download(ep.bucket, `service/${ep.name}/${run.jobId}/late.png`)).status).toBe(200);
    } finally {
      await down.close();
      await unreachable.close();
    }

    // Down from the start: nothing is read or stored.
    const noDb = webhookHandler(webhookConfig({ ...process.env, SUPABASE_DB_URL: "postgresql://postgres:postgres@127.0.0.1:1/postgres" }));
    const early = await noDb(new Request(await webhookUrl(runs[0].runId, 1), { method: "POST", body: JSON.stringify({ id: runs[0].runpodJobId, ...body(0) }) }));
    expect(early.status).toBe(503);

    const up = instance({ completionBatchSize: runs.length, completionBatchWaitMs: 60_000 });
    try {
      const retried = await Promise.all(runs.map((run, i) => deliver(up.handler, run, body(i))));
      expect(up.calls).toEqual([runs.length]);
      expect(retried.map((a) => [a.status, a.body.outcome])).toEqual([[200, "succeeded"], [200, "succeeded"], [200, "succeeded"]]);
      expect((await state(runs)).map((r) => [r.status, r.webhook_count, r.files])).toEqual([["succeeded", 1, 1], ["succeeded", 1, 1], ["succeeded", 1, 1]]);
    } finally {
      await up.close();
    }
  });
});
