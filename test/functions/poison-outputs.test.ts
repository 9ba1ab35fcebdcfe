// Outputs the database cannot store (JSON nested 20 000 levels, \u0000 or a
// lone surrogate in a string, a number past bigint) fail the attempt with a
// pgpod: error, through the webhook and through the reconciler alike, instead
// of a 500 on every delivery that leaves the job in flight.
import { beforeAll, describe, expect, it } from "vitest";
import type { RunpodEmulator } from "../../local/runpod/server.ts";
import { createEndpoint, job, scriptedWorker, settle, sql, startEmulator, submit, uniqueName, waitFor, webhookUrl, worker } from "./harness.ts";

let emulator: RunpodEmulator;
let ep: { name: string };
let lossy: { name: string };

beforeAll(async () => {
  emulator = await startEmulator({
    scripted: worker(scriptedWorker, { workers: 4 }),
    lossy: worker(scriptedWorker, { faults: { webhookDropRate: 1 } }),
  });
  ep = await createEndpoint(uniqueName("poison"), { runpodEndpointId: "scripted", emulator, maxAttempts: 1 });
  lossy = await createEndpoint(uniqueName("poisonlost"), { runpodEndpointId: "lossy", emulator, maxAttempts: 1 });
});

async function runOf(jobId: string) {
  const [run] = await sql<{ id: string; attempt: number; runpod_job_id: string }[]>`
    select r.id::text, r.attempt, r.runpod_job_id from pgpod.runs r join pgpod.jobs j on j.run_id = r.id where j.id = ${jobId}`;
  return run;
}

const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;

describe("poison outputs", () => {
  it.each([
    ["JSON nested 20 000 levels", (id: string) => `{"id":"${id}","status":"COMPLETED","output":${deep(20_000)}}`,
      "pgpod: output refused: nested deeper than 100 levels"],
    ["\\u0000 in a string", (id: string) => `{"id":"${id}","status":"COMPLETED","output":{"text":"a\\u0000b"}}`,
      "pgpod: output refused: a string holds \\u0000, which Postgres cannot store"],
    ["a lone surrogate in a key", (id: string) => `{"id":"${id}","status":"COMPLETED","output":{"\\ud800":1}}`,
      "pgpod: output refused: a key holds a lone UTF-16 surrogate, which Postgres cannot store"],
    ["\\u0000 in the error of a failed job", (id: string) => `{"id":"${id}","status":"FAILED","error":"boom\\u0000"}`,
      "pgpod: output refused: a string holds \\u0000, which Postgres cannot store"],
    ["a delayTime past bigint, which only the database notices", (id: string) => `{"id":"${id}","status":"COMPLETED","delayTime":1e300,"output":{"ok":1}}`,
      /^pgpod: output refused: the database refused it \(22003: bigint out of range\)$/],
  ])("fails the attempt on %s, answering 200", async (_what, body, error) => {
    const { id } = await submit(ep.name, { sleep_ms: 20_000, output: { late: true } });
    await settle(id, ["submitted", "running"]);
    const run = await runOf(id);
    const res = await fetch(await webhookUrl(run.id, run.attempt), { method: "POST", headers: { "content-type": "application/json" }, body: body(run.runpod_job_id) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ applied: true });
    const done = await job(id);
    expect(done.status).toBe("failed");
    if (typeof error === "string") expect(done.error).toBe(error);
    else expect(done.error).toMatch(error);
    expect(done.output).toBeNull();
  });

  it("fails the attempt when the reconciler finds such an output on /status", async () => {
    const { id } = await submit(lossy.name, { nul_output: true });
    await settle(id, ["submitted", "running"]);
    const run = await runOf(id);
    await waitFor("RunPod to finish the job", async () => emulator.counters("lossy").faultWebhookDropped > 0);
    await sql`update pgpod.runs set submitted_at = now() - interval '1 hour', last_polled_at = null where id = ${run.id}`;
    const done = await settle(id);
    expect(done.status).toBe("failed");
    expect(done.error).toBe("pgpod: output refused: a string holds \\u0000, which Postgres cannot store");
  });
});
