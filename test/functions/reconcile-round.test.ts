// The reconciler records what RunPod says of every run it reconciles in one
// round with one complete_runs call: polled results (files stored first), a
// forwarded cancel and a job RunPod has no record of.
import { describe, expect, it } from "vitest";
import { dispatchConfig } from "../../supabase/functions/_shared/config.ts";
import type { ReconcileRow } from "../../supabase/functions/_shared/db.ts";
import { dispatchDeps, dispatchHandler } from "../../supabase/functions/pgpod-dispatch/handler.ts";
import { createEndpoint, dispatchAuthorization, env, scriptedWorker, sql, startEmulator, uniqueName, waitFor, worker } from "./harness.ts";

const emulator = await startEmulator({ scripted: worker(scriptedWorker, { workers: 4 }) });
const png = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489", "hex").toString("base64");

async function runpod(path: string, body?: unknown) {
  const res = await fetch(`${emulator.url}/v2/scripted/${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${env.RUNPOD_API_KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return await res.json();
}

describe("reconciler", () => {
  it("records a round's reconciled runs in one complete_runs call", async () => {
    const ep = await createEndpoint(uniqueName("recon"), { runpodEndpointId: "scripted", emulator, maxAttempts: 1 });
    const runs = await sql.begin(async (tx) => {
      await tx`insert into pgpod.jobs (endpoint, input, run_after)
               select ${ep.name}, jsonb_build_object('n', g), now() + interval '1 hour' from generate_series(1, 5) g`;
      await tx`update pgmq.${sql(`q_pgpod_${ep.name}`)} set vt = clock_timestamp()`;
      return await tx<{ run_id: string; attempt: number; jobs: { job_id: string }[] }[]>`
        select run_id, attempt, jobs from pgpod.claim_runs(${ep.name}, 5) order by run_id`;
    });
    // RunPod jobs for four of them: three finish, one is still running; the fifth RunPod lost.
    const inputs = [{ output: { n: 0 } }, { output: { n: 1, files: [{ filename: "r.png", data: png }] } }, { output: { n: 2 } }, { sleep_ms: 60_000, output: {} }];
    const ids: string[] = [];
    for (const input of inputs) ids.push((await runpod("run", { input })).id);
    ids.push("lost-by-runpod");
    await sql`select pgpod.mark_submitted(${sql.json(runs.map((r, i) => ({ run_id: r.run_id, attempt: r.attempt, runpod_job_id: ids[i] })))})`;
    for (const id of ids.slice(0, 3)) await waitFor(`RunPod job ${id} to finish`, async () => (await runpod(`status/${id}`)).status === "COMPLETED");

    // The rows pgpod.runs_to_reconcile gives once these runs are overdue, or asked to cancel.
    const due: ReconcileRow[] = runs.map((r, i) => ({
      run_id: String(r.run_id), attempt: r.attempt, runpod_endpoint_id: "scripted", api_base: `${emulator.url}/v2`,
      runpod_job_id: ids[i], action: i === 3 ? "cancel" : "poll",
    }));
    const config = dispatchConfig(process.env);
    const deps = dispatchDeps(config);
    const real = deps.db;
    const calls: string[][] = [];
    let handedOut = false;
    deps.db = {
      ...real,
      // Only these runs: other files' work on the shared stack is not this test's.
      dispatchableEndpoints: async () => [],
      runsToReconcile: async () => (handedOut ? [] : (handedOut = true, due)),
      completeRuns: (deliveries) => (calls.push(deliveries.map((d) => d.runId)), real.completeRuns(deliveries)),
    };
    try {
      const res = await dispatchHandler(config, deps)(new Request("http://local/pgpod-dispatch", {
        method: "POST",
        headers: { authorization: await dispatchAuthorization(), "content-type": "application/json" },
        body: JSON.stringify({ reason: "test" }),
      }));
      expect(await res.json()).toMatchObject({ reconciled: 4, cancelled: 1, errors: [] });
    } finally {
      await real.close();
    }
    expect(calls).toHaveLength(1);
    expect([...calls[0]].sort()).toEqual(due.map((r) => r.run_id).sort());
    const jobs = await sql<{ status: string; files: number; webhook_count: number }[]>`
      select j.status::text, (select count(*)::int from pgpod.job_files f where f.job_id = j.id) as files, r.webhook_count
      from pgpod.jobs j join pgpod.runs r on r.id = j.run_id
      where r.id = any(${due.map((r) => r.run_id)}::bigint[]) order by r.id`;
    expect(jobs).toEqual([
      { status: "succeeded", files: 0, webhook_count: 1 },
      { status: "succeeded", files: 1, webhook_count: 1 },
      { status: "succeeded", files: 0, webhook_count: 1 },
      { status: "cancelled", files: 0, webhook_count: 1 },
      { status: "failed", files: 0, webhook_count: 1 },
    ]);
  });
});
