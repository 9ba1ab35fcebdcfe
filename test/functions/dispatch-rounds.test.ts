// The dispatcher's loop: it claims round after round while work remains, and a
// kick's dispatcher keeps looking for linger_ms, because inserts inside the
// kick's debounce window were not allowed a kick of their own.
import { describe, expect, it } from "vitest";
import { dispatchConfig } from "../../supabase/functions/_shared/config.ts";
import type { ClaimedRun, PgpodDb } from "../../supabase/functions/_shared/db.ts";
import { dispatchTokens } from "../../supabase/functions/_shared/tokens.ts";
import { type DispatchDeps, dispatchHandler } from "../../supabase/functions/pgpod-dispatch/handler.ts";

const config = dispatchConfig({
  SUPABASE_URL: "http://127.0.0.1:1",
  SUPABASE_DB_URL: "postgresql://x@127.0.0.1:1/postgres",
  SUPABASE_SERVICE_ROLE_KEY: "service-key",
  PGPOD_WEBHOOK_SECRET: "webhook-secret",
  RUNPOD_API_KEY: "runpod-key",
  PGPOD_DISPATCH_SECRET: "dispatch-secret",
});

function run(id: number, endpoint = "e"): ClaimedRun {
  return {
    run_id: String(id), attempt: 1, endpoint_name: endpoint, runpod_endpoint_id: endpoint, api_base: "http://runpod.test/v2",
    execution_timeout_ms: null, ttl_ms: null, low_priority: false, direct_upload: false,
    output_bucket: "b", grouped: false, jobs: [{ job_id: `job-${id}`, storage_prefix: `service/e/job-${id}` }], input: {},
  };
}

/** A queue that gains work at the given times (ms after the first look) and records each claim. */
function scriptedDeps(arrivals: number[], perClaim = Infinity) {
  const claims: number[] = [];
  let first: number | undefined;
  let nextId = 1;
  const pending = () => {
    first ??= Date.now();
    return arrivals.filter((at) => first! + at <= Date.now());
  };
  const db = {
    dispatchableEndpoints: async () => (pending().length > 0 ? ["e"] : []),
    claimRuns: async () => {
      const ready = pending().slice(0, perClaim);
      for (const at of ready) arrivals.splice(arrivals.indexOf(at), 1);
      claims.push(ready.length);
      return ready.map(() => run(nextId++));
    },
    markSubmitted: async (s: unknown[]) => ({ submitted: s.length, stale: [] }),
    releaseRuns: async () => ({ released: 0, stale: 0, requeued: [], failed: [], cancelled: [] }),
    runsToReconcile: async () => [],
  } as unknown as PgpodDb;
  const runpod = { run: async () => ({ kind: "ok", body: { id: `rp-${nextId}`, status: "IN_QUEUE" } }) };
  const deps = { db, runpod, tokens: { sign: async () => "sig" } } as unknown as DispatchDeps;
  return { deps, claims };
}

const call = async (body: unknown) =>
  new Request("http://local/pgpod-dispatch", {
    method: "POST",
    headers: {
      authorization: `Bearer ${await dispatchTokens("dispatch-secret").sign(Math.floor(Date.now() / 1000))}`,
      "content-type": "application/json",
    },
    body: JSON.stringify(body),
  });

describe("dispatch rounds", () => {
  it("picks up work that arrives inside a kick's debounce window", async () => {
    const { deps, claims } = scriptedDeps([0, 400]);
    const res = await dispatchHandler(config, deps)(await call({ reason: "insert", linger_ms: 1000 }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ claimed: 2, submitted: 2 });
    expect(claims).toEqual([1, 1]);
  });

  it("does not linger when called by cron, which names no window", async () => {
    const { deps, claims } = scriptedDeps([0, 400]);
    const res = await dispatchHandler(config, deps)(await call({ reason: "cron" }));
    expect(await res.json()).toMatchObject({ claimed: 1, submitted: 1 });
    expect(claims).toEqual([1]);
  });

  it("keeps claiming while rounds find work", async () => {
    const { deps, claims } = scriptedDeps([0, 0, 0], 1);
    const res = await dispatchHandler(config, deps)(await call({ reason: "cron" }));
    expect(await res.json()).toMatchObject({ claimed: 3, submitted: 3 });
    expect(claims).toEqual([1, 1, 1]);
  });

  it("still polls overdue runs when every round finds work", async () => {
    const { deps } = scriptedDeps(Array(10_000).fill(0), 1);
    let reconcileCalls = 0;
    deps.db.runsToReconcile = async () => (reconcileCalls++, []);
    const res = await dispatchHandler({ ...config, limits: { ...config.limits, dispatchBudgetMs: 300 } }, deps)(await call({ reason: "cron" }));
    expect((await res.json()).claimed).toBeGreaterThan(1);
    expect(reconcileCalls).toBe(1);
  });

  it("sends no more runs of an endpoint RunPod refused in the round, and still sends the other endpoints'", async () => {
    const claimed = [run(1, "down"), run(2, "down"), run(3, "down"), run(4, "up"), run(5, "up")];
    const released: unknown[] = [];
    let done = false;
    const db = {
      dispatchableEndpoints: async () => (done ? [] : ["down", "up"]),
      claimRuns: async (endpoint: string) => {
        done = true;
        return claimed.filter((r) => r.endpoint_name === endpoint);
      },
      markSubmitted: async (s: unknown[]) => ({ submitted: s.length, stale: [] }),
      releaseRuns: async (r: unknown[]) => (released.push(...r), { released: r.length, stale: 0, requeued: [], failed: [], cancelled: [] }),
      noteEndpointProblem: async () => {},
      runsToReconcile: async () => [],
    } as unknown as PgpodDb;
    const sent: string[] = [];
    const runpod = {
      run: async (endpoint: { runpodEndpointId: string }) => {
        sent.push(endpoint.runpodEndpointId);
        return endpoint.runpodEndpointId === "down"
          ? { kind: "rate_limited", status: 429, retryAfterS: 2.5 }
          : { kind: "ok", body: { id: "rp", status: "IN_QUEUE" } };
      },
    };
    const deps = { db, runpod, tokens: { sign: async () => "sig" } } as unknown as DispatchDeps;
    const res = await dispatchHandler({ ...config, limits: { ...config.limits, parallelism: 1 } }, deps)(await call({ reason: "cron" }));
    expect(await res.json()).toMatchObject({ claimed: 5, submitted: 2, released: 3, failed: 0 });
    expect(sent).toEqual(["down", "up", "up"]);
    expect(released).toEqual([
      { run_id: "1", attempt: 1, kind: "rate_limited", reason: "RunPod answered 429 (rate limited)", retry_after_s: 3 },
      { run_id: "2", attempt: 1, kind: "not_sent", reason: "not sent: RunPod answered 429 (rate limited)" },
      { run_id: "3", attempt: 1, kind: "not_sent", reason: "not sent: RunPod answered 429 (rate limited)" },
    ]);
  });

  it("refuses a linger longer than pg_net would wait", async () => {
    const { deps } = scriptedDeps([]);
    const res = await dispatchHandler(config, deps)(await call({ linger_ms: 60_000 }));
    expect(res.status).toBe(400);
  });
});
