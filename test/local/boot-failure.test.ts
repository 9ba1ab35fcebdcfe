// A function that cannot start stops `stack start` and the demo at once, with
// that function's own error. The way it happens on a fresh machine: its Deno
// dependencies are not installed (an empty DENO_DIR), and functions never
// download at run time. The CLI is called past run.mjs, which would install them.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot, resolveConfig } from "../../local/stack/config.ts";
import { freePort } from "../../local/stack/ports.ts";
import { remove } from "../../local/stack/stack.ts";

const scratch = mkdtempSync(join(tmpdir(), "pgpod-boot-failure-"));
const stateDir = join(scratch, "state");
const emptyDenoDir = join(scratch, "deno");
let flags: string[] = [];

function cli(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", join(repoRoot, "local", "cli.ts"), ...args], {
      cwd: repoRoot,
      env: { ...process.env, DENO_DIR: emptyDenoDir, PGPOD_STATE_DIR: "" },
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("close", (code) => resolve({ code, output }));
  });
}

function expectFunctionError(output: string) {
  expect(output).toContain("Edge Function pgpod-dispatch cannot start: exited with code 1 before listening");
  expect(output).toContain("Edge Function pgpod-webhook cannot start");
  expect(output).toMatch(/npm package not found in cache: "[^"]+", --cached-only is specified/);
  expect(output).toContain("Every npm script installs them first");
}

afterAll(async () => {
  await remove(resolveConfig(["--state-dir", stateDir]));
  rmSync(scratch, { recursive: true, force: true });
}, 60_000);

describe("a function that cannot start", () => {
  it("fails stack start with its output and leaves the stack stopped", async () => {
    flags = ["--state-dir", stateDir, "--db-port", String(await freePort()), "--api-port", String(await freePort()), "--runpod-port", String(await freePort())];
    const { code, output } = await cli(["stack", "start", ...flags]);
    expect(code).toBe(1);
    expectFunctionError(output);
    expect(output).not.toContain("pgpod stack is running");
    expect(output).toContain("pgpod stack stopped");
    expect(existsSync(join(stateDir, "services.pid"))).toBe(false);
    expect(existsSync(join(stateDir, "db", "postmaster.pid"))).toBe(false);
  }, 120_000);

  it("stops the demo before it sends a job, with the same cause", async () => {
    const { code, output } = await cli(["demo", "--jobs", "10", ...flags]);
    expect(code).toBe(1);
    expectFunctionError(output);
    expect(output).not.toContain("submitting");
    expect(output).not.toContain("still queued");
  }, 120_000);
});
