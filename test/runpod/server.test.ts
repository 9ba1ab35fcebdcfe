// Starting and stopping the emulator in-process.
import { describe, expect, it } from "vitest";
import { startRunpodEmulator } from "../../local/runpod/server.ts";
import { defaultConfig } from "../../local/runpod/config.ts";
import { Client, sleep, startReceiver } from "./support.ts";

const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

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
    const before = timeouts();
    const receiver = await startReceiver(() => ({ status: 500 }));
    const emulator = await startRunpodEmulator({
      port: 0,
      apiKey: "k",
      config: { endpoints: { sleep: { handler: "sleep", coldStartMs: 0 }, noop: { handler: "noop", coldStartMs: 0 } }, webhook: { retryDelayMs: 60_000 } },
    });
    const client = new Client(emulator.url, "Bearer k");
    await client.run("sleep", { input: { ms: 60_000 } });
    await client.run("noop", { input: {}, webhook: `${receiver.url}/hook` });
    while (receiver.received.length === 0) await sleep(10);
    await sleep(50);
    expect(timeouts()).toBeGreaterThan(before);

    await emulator.close();
    await emulator.close();
    expect(timeouts()).toBeLessThanOrEqual(before);
    await expect(fetch(`${emulator.url}/v2/noop/health`)).rejects.toThrow();
    await sleep(100);
    expect(receiver.received).toHaveLength(1);
  });
});
