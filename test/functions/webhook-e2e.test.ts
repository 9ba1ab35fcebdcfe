// The webhook function behind the gateway: authentication, validation, and
// deliveries that must change nothing (unknown, repeated) or must be retried
// (Storage refusing), plus recovery of a lost webhook by the reconciler.
import { beforeAll, describe, expect, it } from "vitest";
import type { RunpodEmulator } from "../../local/runpod/server.ts";
import { webhookConfig } from "../../supabase/functions/_shared/config.ts";
import { webhookHandler } from "../../supabase/functions/pgpod-webhook/handler.ts";
import {
  createEndpoint,
  env,
  functionUrl,
  job,
  scriptedWorker,
  settle,
  sql,
  startEmulator,
  submit,
  uniqueName,
  waitFor,
  webhookUrl,
  worker,
} from "./harness.ts";

let emulator: RunpodEmulator;
let ep: { name: string; bucket: string };
let lossy: { name: string; bucket: string };
// A PNG signature and header chunk: enough for the bytes to say "image/png".
const png = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489", "hex").toString("base64");

beforeAll(async () => {
  // Enough workers that the long in-flight jobs of the first tests hold up no later one.
  emulator = await startEmulator({
    scripted: worker(scriptedWorker, { workers: 4 }),
    lossy: worker(scriptedWorker, { faults: { webhookDropRate: 1 } }),
  });
  ep = await createEndpoint(uniqueName("wh"), { runpodEndpointId: "scripted", emulator });
  lossy = await createEndpoint(uniqueName("lost"), { runpodEndpointId: "lossy", emulator });
});

interface RunRow {
  id: string;
  attempt: number;
  status: string;
  runpod_job_id: string | null;
  webhook_count: number;
}

async function runOf(jobId: string): Promise<RunRow> {
  const [run] = await sql<RunRow[]>`
    select r.id::text, r.attempt, r.status, r.runpod_job_id, r.webhook_count
    from pgpod.runs r join pgpod.jobs j on j.run_id = r.id where j.id = ${jobId}`;
  return run;
}

/** A job submitted to RunPod and still running there, with its run row. */
// Long enough that the job cannot finish while a test on a loaded machine looks at it.
async function inFlightJob(sleepMs = 20_000) {
  const { id } = await submit(ep.name, { sleep_ms: sleepMs, output: { late: true } });
  await settle(id, ["submitted", "running"]);
  return { id, run: await runOf(id) };
}

async function post(url: string, body: string, headers: Record<string, string> = { "content-type": "application/json" }) {
  const res = await fetch(url, { method: "POST", headers, body });
  return { status: res.status, body: await res.json() };
}

async function runpodStatus(endpointId: string, runpodJobId: string) {
  const res = await fetch(`${emulator.url}/v2/${endpointId}/status/${runpodJobId}`, { headers: { authorization: `Bearer ${env.RUNPOD_API_KEY}` } });
  return await res.json();
}

describe("webhook authentication and validation", () => {
  it("refuses a missing, forged or other-attempt token with 401 and changes nothing", async () => {
    const { id, run } = await inFlightJob();
    const body = JSON.stringify({ id: run.runpod_job_id, status: "COMPLETED", output: { forged: true } });
    const good = new URL(await webhookUrl(run.id, run.attempt));
    const forged = new URL(good);
    forged.searchParams.set("sig", (await webhookUrl("1", 1)).split("sig=")[1]);
    const otherAttempt = new URL(good);
    otherAttempt.searchParams.set("attempt", String(run.attempt + 1));
    for (const url of [functionUrl("pgpod-webhook"), `${functionUrl("pgpod-webhook")}?run=${run.id}&attempt=${run.attempt}`, forged.href, otherAttempt.href]) {
      const res = await post(url, body);
      expect(res).toEqual({ status: 401, body: { error: "missing or invalid webhook token" } });
    }
    expect(await runOf(id)).toEqual(run);
    expect((await job(id)).output).toBeNull();
  });

  it("answers 400 to a body that is not JSON or not a RunPod result, and changes nothing", async () => {
    const { id, run } = await inFlightJob();
    const url = await webhookUrl(run.id, run.attempt);
    expect(await post(url, "{not json")).toEqual({ status: 400, body: { error: "body must be JSON" } });
    const wrong = await post(url, JSON.stringify({ status: 7 }));
    expect(wrong.status).toBe(400);
    expect(wrong.body.issues).toEqual(["id: Invalid input: expected string, received undefined", "status: Invalid input: expected string, received number"]);
    expect(await runOf(id)).toEqual(run);
  });

  it("refuses an oversized body with 413 before reading all of it", async () => {
    const handler = webhookHandler(webhookConfig(process.env, { webhookBodyBytes: 1024 }));
    const { run } = await inFlightJob(500);
    const url = await webhookUrl(run.id, run.attempt);
    const big = JSON.stringify({ id: "x", status: "COMPLETED", output: "a".repeat(4096) });
    const declared = await handler(new Request(url, { method: "POST", body: big }));
    expect(declared.status).toBe(413);
    const streamed = await handler(new Request(url, {
      method: "POST",
      body: new Blob([big]).stream(),
      // @ts-expect-error Node needs this to send a stream without a length.
      duplex: "half",
    }));
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toEqual({ error: "body is over the 1024-byte limit" });
  });

  it("answers 405 to anything but POST", async () => {
    expect((await fetch(await webhookUrl("1", 1))).status).toBe(405);
  });
});

describe("deliveries that must not apply", () => {
  it("answers 200 to a run it does not know and records it", async () => {
    const res = await post(await webhookUrl("987654321987", 1), JSON.stringify({ id: "rp-unknown", status: "COMPLETED", output: {} }));
    expect(res).toEqual({ status: 200, body: { applied: false, outcome: "unknown_run", job_ids: [] } });
    const [event] = await sql`select kind from pgpod.job_events where run_id = 987654321987`;
    expect(event.kind).toBe("unknown_run");
  });

  it("applies the same webhook delivered three times once", async () => {
    const { id } = await submit(ep.name, { output: { files: [{ filename: "one.png", data: png }] } });
    const done = await settle(id);
    expect(done.status).toBe("succeeded");
    const run = await runOf(id);
    const [filesBefore] = await sql`select path, sha256, created_at from pgpod.job_files where job_id = ${id}`;
    const body = JSON.stringify({ ...(await runpodStatus("scripted", run.runpod_job_id!)), input: {}, webhook: "echoed" });
    const url = await webhookUrl(run.id, run.attempt);
    for (let i = 0; i < 2; i++) {
      expect(await post(url, body)).toEqual({ status: 200, body: { applied: false, outcome: "duplicate", job_ids: [id] } });
    }
    expect((await runOf(id)).webhook_count).toBe(3);
    const after = await job(id);
    expect(after.updated_at).toEqual(done.updated_at);
    expect(after.output).toEqual(done.output);
    const files = await sql`select path, sha256, created_at from pgpod.job_files where job_id = ${id}`;
    expect(files).toEqual([filesBefore]);
    const kinds = (await sql`select kind from pgpod.job_events where job_id = ${id} order by id`).map((e) => e.kind);
    expect(kinds.filter((k) => k === "duplicate")).toHaveLength(2);
  });
});

describe("lost and refused deliveries", () => {
  it("recovers a lost webhook by polling /status once the run is overdue", async () => {
    const { id } = await submit(lossy.name, { output: { files: [{ filename: "kept.png", data: png }] } });
    await settle(id, ["submitted", "running"]);
    const run = await runOf(id);
    await waitFor("RunPod to finish the job", async () => (await runpodStatus("lossy", run.runpod_job_id!)).status === "COMPLETED");
    expect(emulator.counters("lossy").faultWebhookDropped).toBeGreaterThan(0);
    expect((await job(id)).status).toBe("submitted");
    // Overdue: not heard from for longer than settings.poll_after_s.
    await sql`update pgpod.runs set submitted_at = now() - interval '1 hour', last_polled_at = null where id = ${run.id}`;
    const done = await settle(id);
    expect(done.status).toBe("succeeded");
    expect(done.output).toMatchObject({ files: [{ filename: "kept.png", path: `service/${lossy.name}/${id}/kept.png` }] });
    expect((await runOf(id)).webhook_count).toBe(1);
  });

  it("answers 503 while Storage is down, changing nothing, and the reconciler finishes the job once it is back", async () => {
    const { id } = await submit(lossy.name, { output: { files: [{ filename: "later.png", data: png }] } });
    await settle(id, ["submitted", "running"]);
    const run = await runOf(id);
    await waitFor("RunPod to finish the job", async () => (await runpodStatus("lossy", run.runpod_job_id!)).status === "COMPLETED");
    // The webhook RunPod would have sent, to a webhook whose Storage does not answer.
    const storageDown = webhookHandler(webhookConfig({ ...process.env, SUPABASE_URL: "http://127.0.0.1:1" }, { downloadTimeoutMs: 2000 }));
    const body = JSON.stringify(await runpodStatus("lossy", run.runpod_job_id!));
    const res = await storageDown(new Request(await webhookUrl(run.id, run.attempt), { method: "POST", body }));
    expect(res.status).toBe(503);
    expect((await job(id)).status).toBe("submitted");
    expect(await sql`select 1 from pgpod.job_files where job_id = ${id}`).toHaveLength(0);

    await sql`update pgpod.runs set submitted_at = now() - interval '1 hour', last_polled_at = null where id = ${run.id}`;
    const done = await settle(id);
    expect(done.status).toBe("succeeded");
    expect(done.output).toMatchObject({ files: [{ filename: "later.png", content_type: "image/png" }] });
  });

  it("fails the attempt when Storage refuses the file itself, instead of making RunPod retry the webhook", async () => {
    const picky = await createEndpoint(uniqueName("picky"), { runpodEndpointId: "scripted", emulator, maxAttempts: 1 });
    await sql`insert into storage.buckets (id, name, allowed_mime_types) values (${picky.bucket}, ${picky.bucket}, ${["text/plain"]})`;
    const before = emulator.counters("scripted").webhookFailedAttempts;
    const { id } = await submit(picky.name, { output: { files: [{ filename: "image.png", data: png }] } });
    const done = await settle(id, ["failed"]);
    expect(done.error).toMatch(/^pgpod: .*\(415\)/);
    expect(await sql`select 1 from pgpod.job_files where job_id = ${id}`).toHaveLength(0);
    expect(emulator.counters("scripted").webhookFailedAttempts).toBe(before);
  });
});
