// The dispatcher behind the gateway against a RunPod emulator with injected
// faults: retries with backoff, exhausted attempts, timeouts, cancellation,
// /run answering 429, 5xx or hanging, and a dispatcher dying mid-batch.
import { beforeAll, describe, expect, it } from "vitest";
import type { RunpodEmulator } from "../../local/runpod/server.ts";
import { z } from "zod";
import { dispatchConfig } from "../../supabase/functions/_shared/config.ts";
import { claimedRunSchema } from "../../supabase/functions/_shared/db.ts";
import type { RunpodClient } from "../../supabase/functions/_shared/runpod.ts";
import { dispatchDeps, dispatchHandler } from "../../supabase/functions/pgpod-dispatch/handler.ts";
import {
  createEndpoint,
  dispatch,
  dispatchAuthorization,
  env,
  events,
  functionUrl,
  job,
  scriptedWorker,
  settle,
  sql,
  startEmulator,
  submit,
  uniqueName,
  waitFor,
  worker,
} from "./harness.ts";

let emulator: RunpodEmulator;

beforeAll(async () => {
  emulator = await startEmulator({
    scripted: worker(scriptedWorker),
    single: worker(scriptedWorker, { workers: 1 }),
    faulty: worker(scriptedWorker),
  });
});

async function runsOf(jobId: string) {
  return await sql<Array<{ id: string; status: string; error: string | null; runpod_job_id: string | null }>>`
    select r.id::text, r.status, r.error, r.runpod_job_id from pgpod.runs r where ${jobId}::uuid = any(r.job_ids)
    order by r.id -- the bigint: ordering by the text column put run 100 before run 99`;
}

async function runpodStatus(endpointId: string, runpodJobId: string) {
  const res = await fetch(`${emulator.url}/v2/${endpointId}/status/${runpodJobId}`, { headers: { authorization: `Bearer ${env.RUNPOD_API_KEY}` } });
  return (await res.json()) as { status: string };
}

/** A job of a new endpoint that RunPod's worker is running (for 30 s), with its run. */
async function runningOnRunpod(tag: string) {
  const ep = await createEndpoint(uniqueName(tag), { runpodEndpointId: "scripted", emulator });
  const { id } = await submit(ep.name, { sleep_ms: 30_000, output: { never: true } });
  await settle(id, ["submitted"]);
  const [run] = await runsOf(id);
  await waitFor("the worker to start", async () => (await runpodStatus("scripted", run.runpod_job_id!)).status === "IN_PROGRESS");
  return { id, run };
}

describe("dispatcher authentication", () => {
  it("refuses callers without a valid dispatch token, the raw secret included, and claims nothing", async () => {
    const ep = await createEndpoint(uniqueName("auth"), { runpodEndpointId: "scripted", emulator });
    await sql`update pgpod.endpoints set paused = true where name = ${ep.name}`;
    const fresh = await dispatchAuthorization();
    for (const authorization of [undefined, "Bearer wrong", `Bearer ${env.PGPOD_DISPATCH_SECRET}`, fresh.replace("Bearer", "Basic"),
                                 env.SUPABASE_SERVICE_ROLE_KEY]) {
      const res = await fetch(functionUrl("pgpod-dispatch"), { method: "POST", headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: "missing, wrong or expired dispatch token" });
    }
  });

  it("accepts the header a kick queues in net.http_request_queue, until it expires", async () => {
    /** The Authorization header of a cron kick, read back inside a transaction that is rolled back unsent. */
    const capturedHeader = async () => {
      const tx = await sql.reserve();
      try {
        await tx`begin`;
        const [{ id }] = await tx<{ id: string }[]>`select pgpod.kick_dispatcher('captured', true)::text as id`;
        const [{ header }] = await tx<{ header: string }[]>`
          select headers ->> 'Authorization' as header from net.http_request_queue where id = ${id}`;
        return header;
      } finally {
        await tx`rollback`;
        tx.release();
      }
    };
    const call = (authorization: string) =>
      fetch(functionUrl("pgpod-dispatch"), { method: "POST", headers: { authorization, "content-type": "application/json" }, body: "{}" });

    const header = await capturedHeader();
    expect(header).toMatch(/^Bearer v1\.[0-9]+\.[0-9a-f]{64}$/);
    expect(header).not.toContain(env.PGPOD_DISPATCH_SECRET);
    expect((await call(header)).status).toBe(200);
    // A header captured three minutes ago: the same token with an issue time 180 s back.
    const issuedAt = Number(header.split(".")[1]);
    const [{ replayed }] = await sql<{ replayed: string }[]>`
      select 'Bearer ' || pgpod.dispatch_token(decrypted_secret, ${issuedAt - 180}) as replayed
      from vault.decrypted_secrets where name = 'pgpod_dispatch_secret'`;
    expect((await call(replayed)).status).toBe(401);
  });

  it("answers with a JSON summary operators can read in net._http_response", async () => {
    const summary = await dispatch();
    expect(Object.keys(summary).sort()).toEqual(["cancelled", "claimed", "errors", "failed", "reconciled", "released", "submitted"]);
  });

  it("refuses a body that is not JSON", async () => {
    const res = await fetch(functionUrl("pgpod-dispatch"), { method: "POST", headers: { authorization: await dispatchAuthorization() }, body: "{" });
    expect(res.status).toBe(400);
  });
});

describe("failed attempts", () => {
  it("retries a FAILED job with backoff, then fails it when attempts are exhausted", async () => {
    const ep = await createEndpoint(uniqueName("retry"), { runpodEndpointId: "scripted", emulator, maxAttempts: 2, backoffBaseS: 1 });
    const { id } = await submit(ep.name, { fail: "model exploded" });
    const done = await settle(id, ["failed"]);
    expect(done.attempt).toBe(2);
    expect(JSON.parse(done.error!)).toMatchObject({ error_message: "model exploded" });
    expect((await runsOf(id)).map((r) => r.status)).toEqual(["FAILED", "FAILED"]);
    const kinds = (await events({ jobId: id })).map((e) => e.kind);
    expect(kinds).toEqual(["retry_scheduled", "failed"]);
    const [retry] = (await events({ jobId: id })).filter((e) => e.kind === "retry_scheduled");
    expect(retry.detail).toMatchObject({ attempt: 1 });
    expect(Number(retry.detail.delay_s)).toBeGreaterThanOrEqual(1);
  });

  it("fails a job RunPod timed out", async () => {
    const ep = await createEndpoint(uniqueName("tmo"), { runpodEndpointId: "scripted", emulator, maxAttempts: 1, executionTimeoutMs: 5000 });
    const { id } = await submit(ep.name, { sleep_ms: 30_000 });
    const done = await settle(id, ["failed"], 25_000);
    expect((await runsOf(id))[0].status).toBe("TIMED_OUT");
    expect(done.error).toBeTruthy();
  }, 30_000);
});

describe("cancellation", () => {
  it("cancels a job still in pgpod's queue without ever submitting it", async () => {
    const ep = await createEndpoint(uniqueName("cq"), { runpodEndpointId: "scripted", emulator });
    const [{ id }] = await sql`insert into pgpod.jobs (endpoint, input, run_after) values (${ep.name}, '{}', now() + interval '1 second') returning id`;
    await sql`select pgpod.cancel(${id})`;
    await new Promise((r) => setTimeout(r, 1500));
    await dispatch();
    expect((await job(id)).status).toBe("cancelled");
    expect(await runsOf(id)).toEqual([]);
  });

  it("forwards the cancel of a job queued on RunPod behind a busy worker", async () => {
    const ep = await createEndpoint(uniqueName("cw"), { runpodEndpointId: "single", emulator });
    const busy = await submit(ep.name, { sleep_ms: 3000, output: { busy: true } });
    await settle(busy.id, ["submitted", "running"]);
    const waiting = await submit(ep.name, { sleep_ms: 3000, output: { never: true } });
    await settle(waiting.id, ["submitted"]);
    const [run] = await runsOf(waiting.id);
    expect((await runpodStatus("single", run.runpod_job_id!)).status).toBe("IN_QUEUE");
    await sql`select pgpod.cancel(${waiting.id})`;
    const done = await settle(waiting.id, ["cancelled", "succeeded"]);
    expect(done.status).toBe("cancelled");
    expect((await runpodStatus("single", run.runpod_job_id!)).status).toBe("CANCELLED");
    expect((await settle(busy.id)).status).toBe("succeeded");
  });

  it("forwards the cancel of a running job", async () => {
    const { id } = await runningOnRunpod("cr");
    await sql`select pgpod.cancel(${id})`;
    const done = await settle(id, ["cancelled", "succeeded"], 10_000);
    expect(done.status).toBe("cancelled");
    expect(done.output).toBeNull();
    expect((await runsOf(id))[0].status).toBe("CANCELLED");
  });
});

describe("cancel forwarding", () => {
  it("reaches RunPod through the kick pgpod.cancel sends, without a dispatcher call of its own or cron", async () => {
    const { id, run } = await runningOnRunpod("ck");
    // Only the kick can deliver the cancel now: the minute schedule is off while this runs.
    await sql`select cron.unschedule('pgpod-dispatch')`;
    try {
      await sql`select pgpod.cancel(${id})`;
      await waitFor("RunPod to cancel the job", async () => (await runpodStatus("scripted", run.runpod_job_id!)).status === "CANCELLED", 10_000);
      await waitFor("the job to end cancelled", async () => (await job(id)).status === "cancelled", 10_000);
    } finally {
      await sql`select pgpod.schedule_dispatch('10 seconds')`;
    }
  });
});

describe("/run failures", () => {
  for (const [status, label] of [[429, "rate limited"], [503, "unavailable"]] as const) {
    it(`releases the run with backoff when /run answers ${status} (${label}), and submits it again later`, async () => {
      // One attempt only: a refused /run must not use it up.
      const ep = await createEndpoint(uniqueName(`r${status}`), { runpodEndpointId: "faulty", emulator, backoffBaseS: 1, maxAttempts: 1 });
      emulator.setFaults("faulty", { runErrorRate: 1, runErrorStatus: status });
      try {
        const { id } = await submit(ep.name, { output: { ok: status } });
        await waitFor("the release", async () => (await runsOf(id)).some((r) => r.status === "released"));
        const [released] = await runsOf(id);
        expect(released.error).toMatch(new RegExp(`^RunPod answered ${status}`));
        const queued = await job(id);
        expect(queued).toMatchObject({ status: "queued", attempt: 0 });
        const [{ run_after }] = await sql`select run_after from pgpod.jobs where id = ${id}`;
        expect(run_after.getTime()).toBeGreaterThan(Date.now() - 500);
        emulator.setFaults("faulty", { runErrorRate: 0 });
        const done = await settle(id);
        expect(done.status).toBe("succeeded");
        expect(done.output).toEqual({ ok: status });
        expect(done.attempt).toBe(1);
        expect((await runsOf(id)).map((r) => r.status)).toEqual(["released", "COMPLETED"]);
      } finally {
        emulator.setFaults("faulty", { runErrorRate: 0 });
      }
    });
  }

  it("accepts a job whose webhook arrives while its /run still hangs: the body proves the submission", async () => {
    const ep = await createEndpoint(uniqueName("hang"), { runpodEndpointId: "faulty", emulator, backoffBaseS: 1 });
    emulator.setFaults("faulty", { runHangRate: 1, runHangMs: 12_000 });
    try {
      const { id } = await submit(ep.name, { output: { value: 41 } });
      const done = await settle(id, ["succeeded"], 20_000);
      expect(done.output).toEqual({ value: 41 });
      const runs = await runsOf(id);
      expect(runs.map((r) => r.status)).toEqual(["COMPLETED"]);
      // The release that followed the /run timeout found the run finished and changed nothing.
      await waitFor("the stale release", async () => (await events({ runId: runs[0].id })).some((e) => e.kind === "stale_release"), 15_000);
      expect((await job(id)).status).toBe("succeeded");
    } finally {
      emulator.setFaults("faulty", { runHangRate: 0 });
    }
  }, 40_000);

  it("releases a run whose /run hangs, and never applies the RunPod job it created anyway", async () => {
    const ep = await createEndpoint(uniqueName("hang"), { runpodEndpointId: "faulty", emulator, backoffBaseS: 1 });
    emulator.setFaults("faulty", { runHangRate: 1, runHangMs: 12_000 });
    try {
      // Slower than the dispatcher's 8 s /run timeout, so the release comes first.
      const { id } = await submit(ep.name, { sleep_ms: 10_000, output: { value: 42 } });
      await waitFor("the release after the /run timeout", async () => (await runsOf(id)).some((r) => r.status === "released"), 20_000);
      emulator.setFaults("faulty", { runHangRate: 0 });
      const [first] = await runsOf(id);
      expect(first.error).toBe("POST /run gave no answer within 8000 ms");
      // The hung request's job ran on RunPod too; its webhook is recorded, not applied.
      await waitFor("the orphan's webhook", async () => (await events({ runId: first.id })).some((e) => e.kind === "late"), 15_000);
      const done = await settle(id, ["succeeded"], 25_000);
      expect(done.output).toEqual({ value: 42 });
      // The timed-out /run was a refused submission, not an attempt.
      expect(done.attempt).toBe(1);
      expect((await runsOf(id)).map((r) => r.status)).toEqual(["released", "COMPLETED"]);
    } finally {
      emulator.setFaults("faulty", { runHangRate: 0 });
    }
  }, 60_000);

  it("loses no job when the dispatcher dies between /run and recording it", async () => {
    const ep = await createEndpoint(uniqueName("kill"), { runpodEndpointId: "scripted", emulator });
    // Queued an hour ahead, so the kicks their inserts send find nothing to claim.
    const ids = (await sql<Array<{ id: string }>>`
      insert into pgpod.jobs (endpoint, input, run_after)
      select ${ep.name}, jsonb_build_object('output', jsonb_build_object('n', n)), now() + interval '1 hour'
      from generate_series(0, 2) n order by n returning id`).map((r) => r.id);
    const config = dispatchConfig(process.env);
    const live = dispatchDeps(config);
    let calls = 0;
    const dying: RunpodClient = {
      ...live.runpod,
      run: async (endpoint, request) => {
        if (++calls > 1) throw new Error("dispatcher killed");
        return await live.runpod.run(endpoint, request);
      },
    };
    // The claim makes the messages visible in its own transaction: no other
    // dispatcher (other test files kick too) can take the jobs first.
    const claimOnce = async (endpoint: string, maxRuns: number) =>
      z.array(claimedRunSchema).parse(await sql.begin(async (tx) => {
        await tx.unsafe(`update pgmq.q_pgpod_${endpoint} set vt = clock_timestamp()`);
        return await tx`select * from pgpod.claim_runs(${endpoint}, ${maxRuns})`;
      }));
    let claims = 0;
    const handler = dispatchHandler({ ...config, limits: { ...config.limits, parallelism: 1 } }, {
      ...live,
      runpod: dying,
      db: {
        ...live.db,
        dispatchableEndpoints: async () => (claims === 0 ? [ep.name] : []),
        claimRuns: async (endpoint, maxRuns) => (claims++ === 0 ? await claimOnce(endpoint, maxRuns) : []),
      },
    });
    const res = await handler(new Request("http://local/pgpod-dispatch", { method: "POST", headers: { authorization: await dispatchAuthorization() } }));
    await live.db.close();
    expect(res.status).toBe(500);
    // Nothing was recorded: the runs stay claimed until the claim's visibility timeout.
    const claimed = (await Promise.all(ids.map(runsOf))).flat();
    expect(claimed).toHaveLength(3);
    expect(claimed.every((r) => r.status === "submitting" || r.status === "COMPLETED")).toBe(true);
    // Let the lease lapse instead of waiting settings.claim_vt_s.
    await sql`update pgpod.runs set claimed_at = now() - interval '1 hour' where endpoint = ${ep.name} and status = 'submitting'`;
    const done = await Promise.all(ids.map((id) => settle(id)));
    expect(done.map((j) => j.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect(done.map((j) => j.output)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    const [{ abandoned }] = await sql`select count(*)::int as abandoned from pgpod.runs where endpoint = ${ep.name} and status = 'abandoned'`;
    expect(abandoned).toBeGreaterThanOrEqual(1);
  }, 40_000);
});
