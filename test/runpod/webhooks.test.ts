// Webhook bodies and the retry schedule: 3 attempts, retryDelayMs apart.
import { describe, expect, it } from "vitest";
import { sleep, startEmulator, startReceiver, waitFor } from "./support.ts";

describe("webhook body", () => {
  it("POSTs the cloud body for COMPLETED: id, status, delayTime, executionTime, output, input, webhook", async () => {
    const { client, emulator } = await startEmulator();
    const receiver = await startReceiver();
    const webhook = `${receiver.url}/hook?job=abc&t=secret`;
    const id = await client.run("noop", { input: { n: 1 }, webhook });
    await waitFor(() => emulator.counters("noop").webhookDelivered === 1);
    const [request] = receiver.received;
    expect(request.method).toBe("POST");
    expect(request.url).toBe("/hook?job=abc&t=secret");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.body).toEqual({ id, status: "COMPLETED", delayTime: expect.any(Number), executionTime: expect.any(Number), output: { ok: true }, input: { n: 1 }, webhook });
    // The body is what /status shows, plus input and webhook.
    const { input: _input, webhook: _webhook, ...statusPart } = request.body;
    expect((await client.get(`/v2/noop/status/${id}`)).body).toEqual(statusPart);
    expect(emulator.counters("noop")).toMatchObject({ webhookAttempts: 1, webhookDelivered: 1, webhookFailedAttempts: 0 });
  });

  it("sends FAILED jobs with their error string", async () => {
    const { client } = await startEmulator();
    const receiver = await startReceiver();
    const id = await client.run("flaky", { input: { fail: true }, webhook: `${receiver.url}/hook` });
    await waitFor(() => receiver.received.length === 1);
    expect(receiver.received[0].body).toMatchObject({ id, status: "FAILED", error: expect.stringContaining("failed on purpose") });
    expect(receiver.received[0].body.output).toBeUndefined();
  });

  it("sends CANCELLED and TIMED_OUT jobs by default, and not when onCancelledAndTimedOut is off", async () => {
    const { client, emulator } = await startEmulator();
    const receiver = await startReceiver();
    const webhook = `${receiver.url}/hook`;
    const timedOut = await client.run("sleep", { input: { ms: 1000 }, webhook, policy: { executionTimeout: 30 } });
    const cancelled = await client.run("sleep", { input: { ms: 1000 }, webhook });
    await client.post(`/v2/sleep/cancel/${cancelled}`);
    await waitFor(() => receiver.received.length === 2);
    expect(receiver.received.map((r) => [r.body.id, r.body.status]).sort()).toEqual(
      [
        [timedOut, "TIMED_OUT"],
        [cancelled, "CANCELLED"],
      ].sort(),
    );

    emulator.updateSettings({ webhook: { onCancelledAndTimedOut: false } });
    const quiet = await client.run("sleep", { input: { ms: 1000 }, webhook });
    await client.post(`/v2/sleep/cancel/${quiet}`);
    await client.run("flaky", { input: { fail: true }, webhook });
    await waitFor(() => receiver.received.length === 3);
    await sleep(100);
    expect(receiver.received.map((r) => r.body.status)).toContain("FAILED");
    expect(receiver.received).toHaveLength(3);
  });

  it("sends again after /retry, when the retried job ends", async () => {
    const { client } = await startEmulator();
    const receiver = await startReceiver();
    const id = await client.run("flaky", { input: { fail: true }, webhook: `${receiver.url}/hook` });
    await waitFor(() => receiver.received.length === 1);
    await client.post(`/v2/flaky/retry/${id}`);
    await waitFor(() => receiver.received.length === 2);
    expect(receiver.received.map((r) => r.body.id)).toEqual([id, id]);
  });

  it("sends nothing for a job without a webhook", async () => {
    const { client, emulator } = await startEmulator();
    await client.post("/v2/noop/runsync", { input: {} });
    expect(emulator.counters("noop").webhookAttempts).toBe(0);
  });
});

describe("retry schedule", () => {
  it("retries a non-2xx answer up to 2 more times, retryDelayMs apart, then gives up", async () => {
    const { client, emulator, logs } = await startEmulator({ webhook: { retryDelayMs: 100 } });
    const receiver = await startReceiver(() => ({ status: 500 }));
    const id = await client.run("noop", { input: {}, webhook: `${receiver.url}/hook?t=token` });
    await waitFor(() => emulator.counters("noop").webhookGaveUp === 1);
    expect(receiver.received).toHaveLength(3);
    expect(receiver.received.every((r) => r.body.id === id)).toBe(true);
    const gaps = receiver.received.slice(1).map((r, i) => r.at - receiver.received[i].at);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(95);
    expect(emulator.counters("noop")).toMatchObject({ webhookAttempts: 3, webhookFailedAttempts: 3, webhookDelivered: 0, webhookGaveUp: 1 });
    // One log line per attempt, with the URL's query (its token) left out.
    expect(logs.filter((l) => l.startsWith("webhook noop"))).toHaveLength(4);
    expect(logs.join("\n")).not.toContain("token");
  });

  it("stops retrying once an attempt gets a 2xx", async () => {
    const { client, emulator } = await startEmulator();
    const receiver = await startReceiver((_, index) => ({ status: index === 0 ? 503 : 204 }));
    await client.run("noop", { input: {}, webhook: `${receiver.url}/hook` });
    await waitFor(() => emulator.counters("noop").webhookDelivered === 1);
    await sleep(150);
    expect(receiver.received).toHaveLength(2);
    expect(emulator.counters("noop")).toMatchObject({ webhookAttempts: 2, webhookFailedAttempts: 1, webhookGaveUp: 0 });
  });

  it("treats an attempt with no answer within timeoutMs as failed and retries", async () => {
    const { client, emulator } = await startEmulator({ webhook: { timeoutMs: 500 } });
    // The first attempt is never answered.
    const receiver = await startReceiver((_, index) => ({ status: 200, until: index === 0 ? new Promise(() => {}) : undefined }));
    await client.run("noop", { input: {}, webhook: `${receiver.url}/hook` });
    await waitFor(() => emulator.counters("noop").webhookDelivered >= 1);
    expect(receiver.received.length).toBeGreaterThanOrEqual(2);
    expect(emulator.counters("noop").webhookFailedAttempts).toBe(1);
  });

  it("counts an unreachable receiver as failed attempts", async () => {
    const { client, emulator } = await startEmulator();
    const id = await client.run("noop", { input: {}, webhook: "http://127.0.0.1:1/hook" });
    await waitFor(() => emulator.counters("noop").webhookGaveUp === 1);
    expect(emulator.counters("noop").webhookAttempts).toBe(3);
    expect((await client.get(`/v2/noop/status/${id}`)).body.status).toBe("COMPLETED");
  });
});
