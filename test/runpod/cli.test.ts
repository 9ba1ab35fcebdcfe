// The emulator CLI: flags, config file merged over the demo endpoints, logging, clean stop on a signal.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../local/runpod/cli.ts";
import { Client, waitFor } from "./support.ts";

const root = new URL("../../", import.meta.url).pathname;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("runpod-emulator CLI", () => {
  it("refuses to start without an API key", async () => {
    const saved = process.env.RUNPOD_API_KEY;
    delete process.env.RUNPOD_API_KEY;
    try {
      await expect(main(["--port", "0"])).rejects.toThrow(/needs an API key: pass --api-key or set RUNPOD_API_KEY/);
    } finally {
      if (saved !== undefined) process.env.RUNPOD_API_KEY = saved;
    }
    await expect(main(["--port", "nope", "--api-key", "k"])).rejects.toThrow(/--port must be a port number/);
  });

  it("serves the demo endpoints plus the config file's, logs each request, and stops on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runpod-cli-"));
    dirs.push(dir);
    writeFileSync(join(dir, "handler.ts"), "export default (job: { input: unknown }) => ({ echoed: job.input });\n");
    writeFileSync(join(dir, "config.json"), JSON.stringify({ endpoints: { echo: { handler: "./handler.ts", coldStartMs: 10 } }, webhook: { retryDelayMs: 100 } }));

    const child = spawn(process.execPath, ["--import", "tsx", "test/runpod/fixtures/run-cli.ts", "--port", "0", "--config", join(dir, "config.json"), "--api-key", "cli-key"], { cwd: root });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    try {
      const url = await waitFor(() => /RunPod emulator at (http:\S+)\/v2/.exec(output)?.[1], 15_000);
      expect(output).toContain("endpoints: image, transcribe, upload, flaky, sleep, noop, echo");
      const client = new Client(url, "Bearer cli-key");
      expect((await client.post("/v2/echo/runsync", { input: { hi: 1 } })).body.output).toEqual({ echoed: { hi: 1 } });
      expect((await client.get("/_emulator/settings")).body.webhook.retryDelayMs).toBe(100);
      await waitFor(() => output.includes("POST /v2/echo/runsync 200"));
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(output).toContain("SIGTERM: stopping");
  });
});
