// Routes and job status transitions of the emulated v2 API.
import { describe, expect, it } from "vitest";
import { fastEndpoint, sleep, startEmulator, waitFor } from "./support.ts";

describe("job lifecycle", () => {
  it("/run answers IN_QUEUE, then the job goes IN_PROGRESS and COMPLETED with timings and output", async () => {
    // A cold start long enough that the status check below still finds the job queued on a loaded machine.
    const { client } = await startEmulator({ endpoints: { sleep: fastEndpoint("sleep", { coldStartMs: 1000 }) } });
    const run = await client.post("/v2/sleep/run", { input: { ms: 150 } });
    expect(run).toEqual({ status: 200, body: { id: expect.stringMatching(/^[0-9a-f-]{36}-e1$/), status: "IN_QUEUE" } });
    const id = run.body.id;
    expect((await client.get(`/v2/sleep/status/${id}`)).body).toEqual({ id, status: "IN_QUEUE" });

    const inProgress = await client.waitForStatus("sleep", id, ["IN_PROGRESS"]);
    expect(inProgress.body).toEqual({ id, status: "IN_PROGRESS", delayTime: expect.any(Number) });
    // The cold start is part of the queue time.
    expect(inProgress.body.delayTime).toBeGreaterThanOrEqual(1000);

    const done = await client.waitForStatus("sleep", id, ["COMPLETED"]);
    expect(done.body).toEqual({ id, status: "COMPLETED", delayTime: inProgress.body.delayTime, executionTime: expect.any(Number), output: { slept_ms: expect.any(Number) } });
    expect(done.body.executionTime).toBeGreaterThanOrEqual(150);
  });

  it("/runsync returns the finished job with a sync- id", async () => {
    const { client } = await startEmulator();
    const reply = await client.post("/v2/noop/runsync", { input: {} });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ id: expect.stringMatching(/^sync-/), status: "COMPLETED", delayTime: expect.any(Number), executionTime: expect.any(Number), output: { ok: true } });
    expect((await client.get(`/v2/noop/status/${reply.body.id}`)).body.status).toBe("COMPLETED");
  });

  it("/runsync returns the id and a non-terminal status when ?wait= runs out, and the job carries on", async () => {
    const { client } = await startEmulator();
    const reply = await client.post("/v2/sleep/runsync?wait=100", { input: { ms: 300 } });
    expect(reply.status).toBe(200);
    expect(["IN_QUEUE", "IN_PROGRESS"]).toContain(reply.body.status);
    expect(reply.body.output).toBeUndefined();
    await client.waitForStatus("sleep", reply.body.id, ["COMPLETED"]);
  });

  it("/runsync reports a FAILED job with its error", async () => {
    const { client } = await startEmulator();
    const reply = await client.post("/v2/flaky/runsync", { input: { fail: true } });
    expect(reply.status).toBe(200);
    expect(reply.body.status).toBe("FAILED");
    expect(JSON.parse(reply.body.error)).toMatchObject({ error_type: "<class 'Error'>", error_message: "flaky worker failed on purpose", worker_id: expect.stringMatching(/^flaky-w\d$/) });
  });

  it("/status-sync waits for the end of a job", async () => {
    const { client } = await startEmulator();
    const id = await client.run("sleep", { input: { ms: 100 } });
    const reply = await client.get(`/v2/sleep/status-sync/${id}?wait=2000`);
    expect(reply.body.status).toBe("COMPLETED");
  });

  it("runs jobs FIFO on at most `workers` workers, cold-starting them on demand", async () => {
    const { client, emulator } = await startEmulator({ endpoints: { sleep: fastEndpoint("sleep", { workers: 1 }) } });
    const first = await client.run("sleep", { input: { ms: 1000 } });
    const second = await client.run("sleep", { input: { ms: 10 } });
    await client.waitForStatus("sleep", first, ["IN_PROGRESS"]);
    expect((await client.get(`/v2/sleep/status/${second}`)).body.status).toBe("IN_QUEUE");
    expect((await client.get("/v2/sleep/health")).body).toEqual({
      jobs: { completed: 0, failed: 0, inProgress: 1, inQueue: 1, retried: 0 },
      workers: { idle: 0, initializing: 0, running: 1 },
    });
    const done = await client.waitForStatus("sleep", second, ["COMPLETED"]);
    // It waited for the only worker to finish the 1 s job rather than getting one of its own.
    expect(done.body.delayTime).toBeGreaterThanOrEqual(1000);
    expect(emulator.counters("sleep").workerColdStarts).toBe(1);
  });

  it("shuts idle workers down after the idle timeout, so the next job cold-starts again", async () => {
    const { client, emulator } = await startEmulator({ endpoints: { noop: fastEndpoint("noop", { workers: 1, idleTimeoutMs: 50 }) } });
    await client.post("/v2/noop/runsync", { input: {} });
    expect((await client.get("/v2/noop/health")).body.workers.idle).toBe(1);
    await waitFor(async () => (await client.get("/v2/noop/health")).body.workers.idle === 0);
    await client.post("/v2/noop/runsync", { input: {} });
    expect(emulator.counters("noop").workerColdStarts).toBe(2);
  });

  it("lowPriority jobs never start a cold worker, and a normal job queued after one starts first on a warm worker", async () => {
    const { client } = await startEmulator({ endpoints: { sleep: fastEndpoint("sleep", { workers: 1 }) } });
    const low = await client.run("sleep", { input: { ms: 0 }, policy: { lowPriority: true } });
    await sleep(100);
    expect((await client.get("/v2/sleep/health")).body.workers).toEqual({ idle: 0, initializing: 0, running: 0 });
    expect((await client.get(`/v2/sleep/status/${low}`)).body.status).toBe("IN_QUEUE");

    // The blocker cold-starts the only worker; while it runs, a normal job queues behind the low one.
    const blocker = await client.run("sleep", { input: { ms: 1000 } });
    await client.waitForStatus("sleep", blocker, ["IN_PROGRESS"]);
    const normal = await client.run("sleep", { input: { ms: 1000 } });
    expect((await client.get(`/v2/sleep/status/${normal}`)).body.status).toBe("IN_QUEUE");

    // FIFO would hand the freed worker to the low job; priority hands it to the normal one.
    await client.waitForStatus("sleep", normal, ["IN_PROGRESS"]);
    expect((await client.get(`/v2/sleep/status/${low}`)).body.status).toBe("IN_QUEUE");
    await client.waitForStatus("sleep", low, ["COMPLETED"]);
    expect((await client.get(`/v2/sleep/status/${normal}`)).body.status).toBe("COMPLETED");
  });
});

describe("cancel, retry, purge", () => {
  it("cancels a queued job and an in-progress one", async () => {
    const { client } = await startEmulator({ endpoints: { sleep: fastEndpoint("sleep", { workers: 1 }) } });
    const running = await client.run("sleep", { input: { ms: 5000 } });
    const queued = await client.run("sleep", { input: { ms: 0 } });
    await client.waitForStatus("sleep", running, ["IN_PROGRESS"]);

    expect(await client.post(`/v2/sleep/cancel/${queued}`)).toEqual({ status: 200, body: { id: queued, status: "CANCELLED" } });
    expect(await client.post(`/v2/sleep/cancel/${running}`)).toEqual({ status: 200, body: { id: running, status: "CANCELLED" } });
    expect((await client.get(`/v2/sleep/status/${running}`)).body).toMatchObject({ status: "CANCELLED", executionTime: expect.any(Number) });
    // The stopped worker was replaced: a new job still runs.
    await client.waitForStatus("sleep", await client.run("sleep", { input: { ms: 0 } }), ["COMPLETED"]);
  });

  it("cancel leaves a finished job as it is, and 404s for an unknown id", async () => {
    const { client } = await startEmulator();
    const { body } = await client.post("/v2/noop/runsync", { input: {} });
    expect((await client.post(`/v2/noop/cancel/${body.id}`)).body).toEqual({ id: body.id, status: "COMPLETED" });
    expect((await client.post("/v2/noop/cancel/nope")).status).toBe(404);
  });

  it("retries a FAILED job under the same id: FAILED -> IN_QUEUE -> COMPLETED", async () => {
    const { client, emulator } = await startEmulator();
    const id = await client.run("transcribe", { input: { url: "https://x/a.mp3", fail: true } });
    const failed = await client.waitForStatus("transcribe", id, ["FAILED"]);
    expect(failed.body.error).toContain("failed on purpose");

    expect(await client.post(`/v2/transcribe/retry/${id}`)).toEqual({ status: 200, body: { id, status: "IN_QUEUE" } });
    // The same input runs again, so it fails again; the error is fresh, the id is the same.
    await client.waitForStatus("transcribe", id, ["FAILED"]);
    expect(emulator.counters("transcribe")).toMatchObject({ jobsRetried: 1, jobsFailed: 2 });
    expect((await client.get("/v2/transcribe/health")).body.jobs).toMatchObject({ failed: 2, retried: 1 });
  });

  it("retry clears the previous output and error and can end COMPLETED", async () => {
    const { client } = await startEmulator({ endpoints: { echo: fastEndpoint(new URL("./fixtures/fail-once.ts", import.meta.url).pathname) } });
    const id = await client.run("echo", { input: { key: "retry-clears" } });
    await client.waitForStatus("echo", id, ["FAILED"]);
    await client.post(`/v2/echo/retry/${id}`);
    const done = await client.waitForStatus("echo", id, ["COMPLETED"]);
    expect(done.body.error).toBeUndefined();
    expect(done.body.output).toEqual({ attempt: 2 });
  });

  it("retries TIMED_OUT jobs too, and refuses other states with 400", async () => {
    const { client } = await startEmulator();
    const id = await client.run("sleep", { input: { ms: 1000 }, policy: { executionTimeout: 50 } });
    await client.waitForStatus("sleep", id, ["TIMED_OUT"]);
    expect((await client.post(`/v2/sleep/retry/${id}`)).body).toEqual({ id, status: "IN_QUEUE" });

    const { body } = await client.post("/v2/noop/runsync", { input: {} });
    const refused = await client.post(`/v2/noop/retry/${body.id}`);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toContain("COMPLETED");
    expect((await client.post("/v2/noop/retry/unknown")).status).toBe(404);
  });

  it("purge-queue removes queued jobs only", async () => {
    const { client } = await startEmulator({ endpoints: { sleep: fastEndpoint("sleep", { workers: 1 }) } });
    const running = await client.run("sleep", { input: { ms: 1000 } });
    await client.waitForStatus("sleep", running, ["IN_PROGRESS"]);
    const queued = [await client.run("sleep", { input: { ms: 0 } }), await client.run("sleep", { input: { ms: 0 } })];
    expect(await client.post("/v2/sleep/purge-queue")).toEqual({ status: 200, body: { removed: 2, status: "completed" } });
    for (const id of queued) expect((await client.get(`/v2/sleep/status/${id}`)).status).toBe(404);
    await client.waitForStatus("sleep", running, ["COMPLETED"]);
  });
});

describe("timeouts, ttl and retention", () => {
  it("policy.executionTimeout ends a running job as TIMED_OUT", async () => {
    const { client, emulator } = await startEmulator();
    const id = await client.run("sleep", { input: { ms: 5000 }, policy: { executionTimeout: 80 } });
    const reply = await client.waitForStatus("sleep", id, ["TIMED_OUT"]);
    expect(reply.body).toEqual({ id, status: "TIMED_OUT", delayTime: expect.any(Number), executionTime: expect.any(Number) });
    expect(reply.body.executionTime).toBeGreaterThanOrEqual(80);
    expect(emulator.counters("sleep").jobsTimedOut).toBe(1);
  });

  it("the endpoint's execution timeout applies when the job sets none", async () => {
    const { client } = await startEmulator({ endpoints: { sleep: fastEndpoint("sleep", { executionTimeoutMs: 60 }) } });
    const id = await client.run("sleep", { input: { ms: 5000 } });
    await client.waitForStatus("sleep", id, ["TIMED_OUT"]);
  });

  it("clamps policy values to the cloud's minimums by default", async () => {
    const { client } = await startEmulator({ policy: { minExecutionTimeoutMs: 5000 } });
    const id = await client.run("sleep", { input: { ms: 300 }, policy: { executionTimeout: 10 } });
    await client.waitForStatus("sleep", id, ["COMPLETED"]);
  });

  it("policy.ttl deletes a queued job and a running one: /status answers 404", async () => {
    const { client, emulator } = await startEmulator({ endpoints: { sleep: fastEndpoint("sleep", { workers: 1 }) } });
    const running = await client.run("sleep", { input: { ms: 5000 }, policy: { ttl: 1000 } });
    const queued = await client.run("sleep", { input: { ms: 0 }, policy: { ttl: 500 } });
    await client.waitForStatus("sleep", running, ["IN_PROGRESS"]);
    await client.waitForStatus("sleep", queued, [404]);
    await client.waitForStatus("sleep", running, [404]);
    expect(emulator.counters("sleep").jobsExpiredTtl).toBe(2);
  });

  it("keeps /run results for the retention window, then /status answers 404", async () => {
    const { client, emulator } = await startEmulator({ retention: { runMs: 1000 } });
    const id = await client.run("noop", { input: {} });
    await client.waitForStatus("noop", id, ["COMPLETED"]);
    await client.waitForStatus("noop", id, [404]);
    expect(emulator.counters("noop").resultsExpired).toBe(1);
  });

  it("keeps /runsync results for their shorter window", async () => {
    const { client } = await startEmulator({ retention: { runMs: 60_000, runsyncMs: 100 } });
    const { body } = await client.post("/v2/noop/runsync", { input: {} });
    await client.waitForStatus("noop", body.id, [404]);
  });

  it("GET /status?ttl= shortens how long a result is kept", async () => {
    const { client } = await startEmulator();
    const { body } = await client.post("/v2/noop/runsync", { input: {} });
    expect((await client.get(`/v2/noop/status/${body.id}?ttl=50`)).body.status).toBe("COMPLETED");
    await client.waitForStatus("noop", body.id, [404], 1000);
  });
});
