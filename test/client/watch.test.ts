// watch() on the stack's Realtime and Data API: no change is lost between
// the read and the subscription, a stale read that loses the race is
// dropped, replayed and reordered broadcasts never make a job go back, and a
// filtered watch follows jobs into and out of its filter.
import { beforeAll, describe, expect, it } from "vitest";
import { pgpod, SubscriptionRefusedError, type JobView } from "@pgpod/client";
import { microseconds } from "../../client/src/order.ts";
import { uniqueName } from "../functions/harness.ts";
import { idleEndpoint, setStatus, signUp, sleep, sql, waitFor, type TestUser } from "./harness.ts";

const inAnHour = () => new Date(Date.now() + 3600_000);

let endpoint: string;
let user: TestUser;
beforeAll(async () => {
  endpoint = await idleEndpoint(uniqueName("watch"));
  user = await signUp();
});

function recorder() {
  const states: JobView[] = [];
  const errors: Error[] = [];
  return {
    states,
    errors,
    onChange: (job: JobView) => states.push(job),
    onError: (error: Error) => errors.push(error),
    statuses: () => states.map((s) => `${s.status}`),
  };
}

/** Each reported state of a job is newer than the one before it. */
function expectNoRegressions(states: JobView[]) {
  const last = new Map<string, string>();
  for (const state of states) {
    const before = last.get(state.id);
    if (before !== undefined) expect(microseconds(state.updated_at)).toBeGreaterThan(microseconds(before));
    last.set(state.id, state.updated_at);
  }
}

describe("watch a job", () => {
  it("reports the current state, then every change, each once", async () => {
    const jobs = pgpod(user.supabase);
    const job = await jobs.submit(endpoint, { n: 1 }, { runAfter: inAnHour() });
    const r = recorder();
    const stop = jobs.watch(job, r.onChange, { onError: r.onError });
    await waitFor("the first read", async () => r.states.length === 1);
    await setStatus(job.id, "submitted");
    await setStatus(job.id, "running");
    await setStatus(job.id, "succeeded", { files: [] });
    await waitFor("the end", async () => r.states.at(-1)?.status === "succeeded");
    expect(r.statuses()).toEqual(["queued", "submitted", "running", "succeeded"]);
    expect(r.states.at(-1)).toMatchObject({ id: job.id, endpoint, output: { files: [] }, owner_id: user.id });
    expect(Object.keys(r.states[0]).sort()).toEqual(Object.keys(r.states[3]).sort());
    stop();
    await setStatus(job.id, "failed");
    await sleep(300);
    expect(r.states).toHaveLength(4);
    expect(r.errors).toEqual([]);
  });

  it("keeps the final state when the read loses the race against the broadcasts", async () => {
    const u = await signUp();
    const jobs = pgpod(u.supabase);
    const job = await jobs.submit(endpoint, { n: 2 }, { runAfter: inAnHour() });
    const r = recorder();
    u.gate.arm();
    jobs.watch(job, r.onChange, { onError: r.onError });
    // The read ran after the join and saw "queued"; its answer is held while the job moves on.
    await u.gate.held();
    await setStatus(job.id, "running");
    await setStatus(job.id, "succeeded", { files: [] });
    await waitFor("the broadcast end", async () => r.states.at(-1)?.status === "succeeded");
    const reported = r.statuses();
    u.gate.release();
    await sleep(300);
    // (the insert's own broadcast may come in first: it is older, so it is reported before the rest)
    expect(reported.filter((s) => s !== "queued")).toEqual(["running", "succeeded"]);
    expect(r.statuses()).toEqual(reported);
    expectNoRegressions(r.states);
  });

  it("never goes back under repeated and reordered broadcasts", async () => {
    const u = await signUp();
    const jobs = pgpod(u.supabase);
    const job = await jobs.submit(endpoint, { n: 3 }, { runAfter: inAnHour() });
    const r = recorder();
    jobs.watch(job, r.onChange, { onError: r.onError });
    await waitFor("the first read", async () => r.states.length === 1);
    const history: object[] = [];
    const snapshot = async () => {
      const [row] = await sql`select to_jsonb(j) - 'input' - 'run_id' - 'submit_failures' as record from pgpod.jobs j where id = ${job.id}`;
      history.push(row.record);
    };
    await snapshot();
    for (const status of ["submitting", "submitted", "running"]) {
      await setStatus(job.id, status);
      await snapshot();
    }
    await waitFor("running", async () => r.states.at(-1)?.status === "running");

    // The same and older states again, out of order, as a replaying or duplicating transport would deliver them.
    const replays = [history[2], history[0], history[3], history[1], history[3], history[0]];
    for (const record of replays) {
      await sql`select realtime.broadcast_changes(${`pgpod:jobs:${u.id}`}, 'UPDATE', 'UPDATE', 'jobs', 'pgpod',
                  jsonb_populate_record(null::pgpod.jobs, ${sql.json(record as never)}), null)`;
    }
    // Delivery is in order on one socket: once this newer state arrives, the replays have been handled.
    await setStatus(job.id, "succeeded", { files: [] });
    await waitFor("succeeded", async () => r.states.at(-1)?.status === "succeeded");
    // the claim (queued -> submitting) is not broadcast: submitting is seen only in a read
    expect(r.statuses()).toEqual(["queued", "submitted", "running", "succeeded"]);
    expectNoRegressions(r.states);
  });

  it("stops when its signal aborts", async () => {
    const jobs = pgpod(user.supabase);
    const job = await jobs.submit(endpoint, { n: 4 }, { runAfter: inAnHour() });
    const r = recorder();
    const controller = new AbortController();
    jobs.watch(job, r.onChange, { signal: controller.signal });
    await waitFor("the first read", async () => r.states.length === 1);
    controller.abort();
    await setStatus(job.id, "running");
    await sleep(300);
    expect(r.statuses()).toEqual(["queued"]);
  });
});

describe("watch a filter", () => {
  it("reports the user's jobs of an endpoint while they match, and once when they leave, also across a reconnect", async () => {
    const u = await signUp();
    const jobs = pgpod(u.supabase);
    const running = await jobs.submit(endpoint, { n: 10 }, { runAfter: inAnHour() });
    const queued = await jobs.submit(endpoint, { n: 11 }, { runAfter: inAnHour() });
    await setStatus(running.id, "running");
    const r = recorder();
    jobs.watch({ endpoint, status: "running" }, r.onChange, { onError: r.onError });
    await waitFor("the first read", async () => r.states.length === 1);
    expect(r.states[0]).toMatchObject({ id: running.id, status: "running" });

    await setStatus(queued.id, "running");
    await waitFor("the second job", async () => r.states.length === 2);
    expect(r.states[1]).toMatchObject({ id: queued.id, status: "running" });

    // While the socket is down the first job finishes: the re-read finds it although it no longer matches.
    u.link.drop();
    await waitFor("the socket to close", async () => !u.supabase.realtime.isConnected());
    await setStatus(running.id, "succeeded", { files: [] });
    u.link.restore();
    await waitFor("the first job leaving", async () => r.states.length === 3);
    expect(r.states[2]).toMatchObject({ id: running.id, status: "succeeded" });

    await setStatus(queued.id, "failed");
    await waitFor("the second job leaving", async () => r.states.length === 4);
    await setStatus(queued.id, "queued");
    await sleep(300);
    expect(r.states.map((s) => [s.id, s.status])).toEqual([
      [running.id, "running"], [queued.id, "running"], [running.id, "succeeded"], [queued.id, "failed"],
    ]);
    expect(r.errors).toEqual([]);
  });

  it("shares one channel between watches, and keeps it while any is left", async () => {
    const u = await signUp();
    const jobs = pgpod(u.supabase);
    const job = await jobs.submit(endpoint, { n: 20 }, { runAfter: inAnHour() });
    const first = recorder();
    const second = recorder();
    const stopFirst = jobs.watch(job, first.onChange);
    pgpod(u.supabase).watch({ endpoint }, second.onChange);
    await waitFor("both reads", async () => first.states.length === 1 && second.states.length === 1);
    expect(u.supabase.getChannels().map((c) => c.topic)).toEqual([`realtime:pgpod:jobs:${u.id}`]);
    stopFirst();
    await setStatus(job.id, "running");
    await waitFor("the change", async () => second.states.length === 2);
    expect(first.states).toHaveLength(1);
  });
});

describe("watch errors", () => {
  it("reports a refused channel to onError", async () => {
    const u = await signUp();
    const jobs = pgpod(u.supabase);
    const r = recorder();
    // Realtime lets a user join only where a policy on realtime.messages lets them read; this one denies this user alone.
    const policy = `sdk refuses ${u.id}`;
    await sql.unsafe(`create policy "${policy}" on realtime.messages as restrictive for select to authenticated
                      using (auth.uid() is distinct from '${u.id}'::uuid)`);
    try {
      const stop = jobs.watch({ endpoint }, r.onChange, { onError: r.onError });
      await waitFor("the refusal", async () => r.errors.length > 0, 20_000);
      stop();
    } finally {
      await sql.unsafe(`drop policy "${policy}" on realtime.messages`);
    }
    expect(r.errors[0]).toBeInstanceOf(SubscriptionRefusedError);
    expect(r.errors[0].message).toContain(`Unauthorized: You do not have permissions to read from this Channel topic: pgpod:jobs:${u.id}`);
  });
});
