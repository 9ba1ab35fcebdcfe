// A stop signal to an npm script leaves no process behind: npm runs scripts
// through `sh -c`, run.mjs starts the CLI, and each must pass the stop on.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../local/stack/config.ts";
import { freePort, portFree } from "../../local/stack/ports.ts";
import { waitFor } from "../support/wait.ts";

/** Whether any process is left in the process group. */
function groupAlive(group: number): boolean {
  try {
    process.kill(-group, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts the emulator through `how`, in a process group of its own, and waits until it listens. */
async function emulator(how: "npm" | "run.mjs") {
  const port = await freePort();
  const args = ["runpod-emulator", "--port", String(port), "--api-key", "signals-test"];
  const [cmd, argv] = how === "npm"
    ? ["npm", ["run", "-s", args[0], "--", ...args.slice(1)]]
    : [process.execPath, [join(repoRoot, "local", "bin", "run.mjs"), ...args]];
  const child = spawn(cmd, argv, { cwd: repoRoot, detached: true, stdio: "ignore" });
  await waitFor("the emulator to listen", async () => !(await portFree(port)), 30_000);
  return { group: child.pid!, port };
}

describe("stop signals", () => {
  // A SIGTERM goes to one process; Ctrl-C sends SIGINT to the terminal's whole foreground process group.
  const cases = [["npm", "SIGTERM", "npm"], ["run.mjs", "SIGTERM", "run.mjs"], ["npm", "SIGINT", "the process group"]] as const;
  for (const [how, signal, to] of cases) {
    const script = how === "npm" ? "npm run runpod-emulator" : "node local/bin/run.mjs runpod-emulator";
    it(`${signal} to ${to} ends every process of ${script}`, async () => {
      const { group, port } = await emulator(how);
      process.kill(to === "the process group" ? -group : group, signal);
      await waitFor("every process of the script to exit", async () => !groupAlive(group), 15_000);
      expect(await portFree(port)).toBe(true);
    }, 60_000);
  }
});
