// Starting and stopping the emulator in-process.
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { startRunpodEmulator } from "../../local/runpod/server.ts";
import { defaultConfig } from "../../local/runpod/config.ts";
import { Client, sleep, startReceiver, waitFor } from "./support.ts";

describe("startRunpodEmulator", () => {
  it("serves the demo endpoints of defaultConfig() on an ephemeral port", async () => {
    const emulator = await startRunpodEmulator({ port: 0, apiKey: "k" });
    try {
      expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(Object.keys(emulator.state().endpoints as object)).toEqual(Object.keys(defaultConfig().endpoints!));
      expect((await new Client(emulator.url, "Bearer k").get("/v2/image/health")).status).toBe(200);
    } finally {
      await emulator.close();
    }
  });

  it("close() stops running handlers, pending timers, webhook retries and sockets", async () => {
    const receiver = await startReceiver(() => ({ status: 500 }));
    const emulator = await startRunpodEmulator({
      port: 0,
      apiKey: "k",
      config: {
        endpoints: {
          sleep: { handler: "sleep", coldStartMs: 0 },
          noop: { handler: "noop", coldStartMs: 0 },
          delayed: { handler: "noop", coldStartMs: 0, faults: { webhookDelayMs: 60_000 } },
        },
        webhook: { retryDelayMs: 300 },
      },
    });
    const client = new Client(emulator.url, "Bearer k");
    await client.run("sleep", { input: { ms: 60_000 } });
    await client.run("noop", { input: {}, webhook: `${receiver.url}/hook` });
    const delayed = await client.run("delayed", { input: {}, webhook: `${receiver.url}/hook` });
    await client.waitForStatus("delayed", delayed, ["COMPLETED"]);
    await waitFor(() => receiver.received.length === 1);
    const endpoints = () => emulator.state().endpoints as Record<string, { health: { jobs: { inProgress: number }; workers: Record<string, number> } }>;
    expect(endpoints().sleep.health).toMatchObject({ jobs: { inProgress: 1 }, workers: { running: 1 } });
    expect(emulator.state().pendingTimers).toBeGreaterThan(0);
    const idleSocket = connect(Number(new URL(emulator.url).port), "127.0.0.1");
    await new Promise((resolve) => idleSocket.once("connect", resolve));
    const socketClosed = new Promise((resolve) => idleSocket.once("close", resolve));

    const attemptsAtClose = emulator.counters("noop").webhookAttempts;

    await emulator.close();
    await emulator.close();
    for (const { health } of Object.values(endpoints())) {
      expect(health.jobs.inProgress).toBe(0);
      expect(health.workers).toEqual({ idle: 0, initializing: 0, running: 0 });
    }
    // Nothing is left to fire: not the 60 s job, not the webhook retry, not the delayed webhook.
    expect(emulator.state().pendingTimers).toBe(0);
    await socketClosed;
    await expect(fetch(`${emulator.url}/v2/noop/health`)).rejects.toMatchObject({ cause: { code: "ECONNREFUSED" } });
    // The 500 answer would have been retried retryDelayMs later.
    await sleep(600);
    expect(emulator.counters("noop").webhookAttempts).toBe(attemptsAtClose);
    expect(receiver.received).toHaveLength(attemptsAtClose);
    expect(emulator.counters("delayed").webhookAttempts).toBe(0);
  });
});
