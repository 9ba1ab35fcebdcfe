// Every fault knob, set through code or the /_emulator control API, and its counter.
import { describe, expect, it } from "vitest";
import { sleep, startEmulator, startReceiver, waitFor } from "./support.ts";

describe("webhook faults", () => {
  it("webhookDropRate: the delivery is never sent", async () => {
    const { client, emulator } = await startEmulator();
    const receiver = await startReceiver();
    emulator.setFaults("noop", { webhookDropRate: 1 });
    const id = await client.run("noop", { input: {}, webhook: `${receiver.url}/hook` });
    await client.waitForStatus("noop", id, ["COMPLETED"]);
    await sleep(100);
    expect(receiver.received).toHaveLength(0);
    expect(emulator.counters("noop")).toMatchObject({ faultWebhookDropped: 1, webhookAttempts: 0 });
  });

  it("webhookDuplicateRate: the same body arrives twice", async () => {
    const { client, emulator } = await startEmulator();
    const receiver = await startReceiver();
    emulator.setFaults("noop", { webhookDuplicateRate: 1 });
    await client.run("noop", { input: {}, webhook: `${receiver.url}/hook` });
    await waitFor(() => emulator.counters("noop").webhookDelivered === 2);
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1].body).toEqual(receiver.received[0].body);
    expect(emulator.counters("noop")).toMatchObject({ faultWebhookDuplicated: 1, webhookDelivered: 2 });
  });

  it("webhookReorderRate: a held-back delivery arrives after the next job's", async () => {
    const { client, emulator } = await startEmulator();
    const receiver = await startReceiver();
    emulator.setFaults("noop", { webhookReorderRate: 1, webhookReorderHoldMs: 5000 });
    const webhook = `${receiver.url}/hook`;
    const first = (await client.post("/v2/noop/runsync", { input: {}, webhook })).body.id;
    await sleep(50);
    expect(receiver.received).toHaveLength(0);
    emulator.setFaults("noop", { webhookReorderRate: 0 });
    const second = (await client.post("/v2/noop/runsync", { input: {}, webhook })).body.id;
    await waitFor(() => receiver.received.length === 2);
    expect(receiver.received.map((r) => r.body.id)).toEqual([second, first]);
    expect(emulator.counters("noop").faultWebhookReordered).toBe(1);
  });

  it("webhookReorderRate: a held-back delivery still goes out after webhookReorderHoldMs", async () => {
    const { client, emulator } = await startEmulator();
    const receiver = await startReceiver();
    emulator.setFaults("noop", { webhookReorderRate: 1, webhookReorderHoldMs: 150 });
    const startedAt = Date.now();
    await client.post("/v2/noop/runsync", { input: {}, webhook: `${receiver.url}/hook` });
    await waitFor(() => receiver.received.length === 1);
    expect(receiver.received[0].at - startedAt).toBeGreaterThanOrEqual(150);
  });

  it("webhookDelayMs: the first attempt waits", async () => {
    const { client, emulator } = await startEmulator();
    const receiver = await startReceiver();
    emulator.setFaults("noop", { webhookDelayMs: 200 });
    const startedAt = Date.now();
    await client.post("/v2/noop/runsync", { input: {}, webhook: `${receiver.url}/hook` });
    await waitFor(() => receiver.received.length === 1);
    expect(receiver.received[0].at - startedAt).toBeGreaterThanOrEqual(200);
    expect(emulator.counters("noop").faultWebhookDelayed).toBe(1);
  });

  it("webhookRepeatWhileSlow: copies keep coming while the receiver is slow, and stop once it answers", async () => {
    // A cap out of reach, so only the receiver's answer can end the copies.
    const { client, emulator } = await startEmulator({ webhook: { timeoutMs: 50, retryDelayMs: 50, slowRepeatLimit: 1000 } });
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const receiver = await startReceiver(() => ({ status: 200, until: answered }));
    emulator.setFaults("noop", { webhookRepeatWhileSlow: true });
    await client.run("noop", { input: {}, webhook: `${receiver.url}/hook` });
    // More copies than the 3 attempts a failing receiver would get, all still open together.
    await waitFor(() => receiver.received.length > 3);
    expect(emulator.counters("noop").webhookDelivered).toBe(0);
    answer();

    // Every copy sent gets its 200; copies still in flight when the first answer came are counted too.
    await waitFor(() => {
      const { webhookAttempts, webhookDelivered } = emulator.counters("noop");
      return webhookDelivered === webhookAttempts && receiver.received.length === webhookAttempts;
    });
    const copies = receiver.received.length;
    await sleep(200);
    expect(receiver.received).toHaveLength(copies);
    expect(new Set(receiver.received.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(emulator.counters("noop")).toMatchObject({ webhookAttempts: copies, webhookDelivered: copies, webhookGaveUp: 0, faultWebhookSlowRepeats: copies - 1 });
  });

  it("webhookRepeatWhileSlow stops at slowRepeatLimit and then uses the normal retry budget", async () => {
    const { client, emulator } = await startEmulator({ webhook: { timeoutMs: 30, retryDelayMs: 20, slowRepeatLimit: 2 } });
    const receiver = await startReceiver(() => ({ status: 200, until: new Promise(() => {}) }));
    emulator.setFaults("noop", { webhookRepeatWhileSlow: true });
    await client.run("noop", { input: {}, webhook: `${receiver.url}/hook` });
    await waitFor(() => emulator.counters("noop").webhookGaveUp === 1);
    await waitFor(() => receiver.received.length === emulator.counters("noop").webhookAttempts);
    expect(receiver.received).toHaveLength(2 + 3);
    expect(emulator.counters("noop").faultWebhookSlowRepeats).toBe(2);
  });
});

describe("/run faults", () => {
  it("runErrorRate answers runErrorStatus (5xx or 429) without queueing the job", async () => {
    const { client, emulator } = await startEmulator();
    emulator.setFaults("noop", { runErrorRate: 1, runErrorStatus: 502 });
    expect(await client.post("/v2/noop/run", { input: {} })).toEqual({ status: 502, body: { error: "injected fault: HTTP 502" } });
    emulator.setFaults("noop", { runErrorStatus: 429 });
    expect((await client.post("/v2/noop/run", { input: {} })).status).toBe(429);
    expect(emulator.counters("noop")).toMatchObject({ faultRunErrors: 2, jobsSubmitted: 0 });
    expect((await client.get("/v2/noop/health")).body.jobs).toMatchObject({ inQueue: 0, inProgress: 0, completed: 0 });
  });

  it("runHangRate: the caller times out, yet the job was queued and runs", async () => {
    const { client, emulator } = await startEmulator();
    const receiver = await startReceiver();
    emulator.setFaults("noop", { runHangRate: 1, runHangMs: 1000 });
    const call = fetch(`${client.url}/v2/noop/run`, {
      method: "POST",
      headers: { authorization: "Bearer test-key", "content-type": "application/json" },
      body: JSON.stringify({ input: {}, webhook: `${receiver.url}/hook` }),
      signal: AbortSignal.timeout(100),
    });
    await expect(call).rejects.toThrow();
    await waitFor(() => receiver.received.length === 1);
    expect(receiver.received[0].body.status).toBe("COMPLETED");
    expect((await client.get(`/v2/noop/status/${receiver.received[0].body.id}`)).body.status).toBe("COMPLETED");
    expect(emulator.counters("noop")).toMatchObject({ faultRunHangs: 1, jobsSubmitted: 1, jobsCompleted: 1 });
  });

  it("runHangRate: a caller that waits long enough gets the normal answer", async () => {
    const { client, emulator } = await startEmulator();
    emulator.setFaults("noop", { runHangRate: 1, runHangMs: 100 });
    const startedAt = Date.now();
    const reply = await client.post("/v2/noop/run", { input: {} });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(100);
    expect(reply.body.status).toBe("IN_QUEUE");
  });
});

describe("job faults", () => {
  it("loseQueuedRate: /run says IN_QUEUE, then /status answers 404 and no webhook comes", async () => {
    const { client, emulator } = await startEmulator();
    const receiver = await startReceiver();
    emulator.setFaults("noop", { loseQueuedRate: 1 });
    const reply = await client.post("/v2/noop/run", { input: {}, webhook: `${receiver.url}/hook` });
    expect(reply.body).toEqual({ id: expect.any(String), status: "IN_QUEUE" });
    expect((await client.get(`/v2/noop/status/${reply.body.id}`)).status).toBe(404);
    await sleep(100);
    expect(receiver.received).toHaveLength(0);
    expect(emulator.counters("noop")).toMatchObject({ faultJobsLost: 1, jobsCompleted: 0 });
  });

  it("completedWithoutOutputRate: COMPLETED with no output in /status and the webhook", async () => {
    const { client, emulator } = await startEmulator();
    const receiver = await startReceiver();
    emulator.setFaults("noop", { completedWithoutOutputRate: 1 });
    const id = await client.run("noop", { input: {}, webhook: `${receiver.url}/hook` });
    const done = await client.waitForStatus("noop", id, ["COMPLETED"]);
    expect(done.body).not.toHaveProperty("output");
    await waitFor(() => receiver.received.length === 1);
    expect(receiver.received[0].body).toMatchObject({ id, status: "COMPLETED" });
    expect(receiver.received[0].body).not.toHaveProperty("output");
    expect(emulator.counters("noop").faultCompletedWithoutOutput).toBe(1);
  });

  it("a seed makes the flaky worker's failures reproducible too", async () => {
    const outcomesWithSeed = async () => {
      const { client } = await startEmulator({ seed: 7 });
      const statuses: string[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await client.post("/v2/flaky/runsync", { input: { failure_rate: 0.5 } })).body.status);
      return statuses;
    };
    const first = await outcomesWithSeed();
    expect(new Set(first)).toEqual(new Set(["COMPLETED", "FAILED"]));
    expect(await outcomesWithSeed()).toEqual(first);
  });

  it("a seed makes shares reproducible", async () => {
    const lostWithSeed = async () => {
      const { client, emulator } = await startEmulator({ seed: 42, endpoints: { noop: { handler: "noop", faults: { loseQueuedRate: 0.5 } } } });
      for (let i = 0; i < 20; i++) await client.post("/v2/noop/run", { input: {} });
      return emulator.counters("noop").faultJobsLost;
    };
    const first = await lostWithSeed();
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(20);
    expect(await lostWithSeed()).toBe(first);
  });
});

describe("control API", () => {
  it("sets and reads faults per endpoint, merging over the current ones", async () => {
    const { client } = await startEmulator({ endpoints: { noop: { handler: "noop", faults: { webhookDelayMs: 5 } } } });
    expect((await client.get("/_emulator/faults/noop")).body).toMatchObject({ webhookDelayMs: 5, webhookDropRate: 0 });
    const set = await client.post("/_emulator/faults/noop", { webhookDropRate: 0.25 });
    expect(set.body).toMatchObject({ webhookDelayMs: 5, webhookDropRate: 0.25 });
    expect((await client.post("/_emulator/faults/noop", { webhookDropRate: 2 })).status).toBe(400);
    expect((await client.post("/_emulator/faults/noop", { noSuchFault: 1 })).status).toBe(400);
    expect((await client.post("/_emulator/faults/nope", {})).status).toBe(404);
    expect((await client.post("/_emulator/faults/noop", "[")).status).toBe(400);
  });

  it("reads counters and state, and reset restores configured faults and zeroes counters", async () => {
    const { client } = await startEmulator();
    await client.post("/_emulator/faults/noop", { runErrorRate: 1 });
    expect((await client.post("/v2/noop/run", { input: {} })).status).toBe(503);
    expect((await client.get("/_emulator/counters/noop")).body).toMatchObject({ requests: 1, faultRunErrors: 1 });
    expect((await client.get("/_emulator/counters")).body.noop.faultRunErrors).toBe(1);
    const state = (await client.get("/_emulator/state")).body;
    expect(state.endpoints.noop).toMatchObject({ handler: "noop", workers: 2, faults: { runErrorRate: 1 }, counters: { faultRunErrors: 1 }, health: { jobs: { inQueue: 0 } } });
    expect(state.settings.webhook.attempts).toBe(3);

    expect((await client.post("/_emulator/reset", { endpoint: "noop" })).status).toBe(200);
    expect((await client.get("/_emulator/counters/noop")).body.faultRunErrors).toBe(0);
    expect((await client.post("/v2/noop/run", { input: {} })).status).toBe(200);
    expect((await client.post("/_emulator/reset", { endpoint: "nope" })).status).toBe(404);
    expect((await client.get("/_emulator/counters/nope")).status).toBe(404);
    expect((await client.get("/_emulator/unknown")).status).toBe(404);
  });

  it("updates settings at run time, and a full reset restores them", async () => {
    const { client, emulator } = await startEmulator();
    const updated = await client.post("/_emulator/settings", { webhook: { retryDelayMs: 5 }, retention: { runMs: 1234 } });
    expect(updated.body).toMatchObject({ webhook: { retryDelayMs: 5, attempts: 3 }, retention: { runMs: 1234 } });
    expect(emulator.settings().webhook.retryDelayMs).toBe(5);
    expect((await client.post("/_emulator/settings", { webhook: { attempts: 0 } })).status).toBe(400);
    await client.post("/_emulator/reset");
    expect((await client.get("/_emulator/settings")).body.webhook.retryDelayMs).toBe(60);
  });
});
