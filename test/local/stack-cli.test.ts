import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stack } from "../support/stack.ts";

const runner = join(import.meta.dirname, "..", "..", "local", "bin", "run.mjs");

function stackCli(args: string[]) {
  const result = spawnSync(process.execPath, [runner, "stack", ...args], { encoding: "utf8", env: { ...process.env, PGPOD_STATE_DIR: "" } });
  return { code: result.status, out: result.stdout + result.stderr };
}

/** The flags that address the stack `npm test` started. */
function runningStackFlags(): string[] {
  const s = stack();
  return [
    "--state-dir", s.PGPOD_STATE_DIR,
    "--db-port", new URL(s.SUPABASE_DB_URL).port,
    "--api-port", new URL(s.SUPABASE_URL).port,
    "--runpod-port", new URL(s.RUNPOD_EMULATOR_URL).port,
  ];
}

const scratch = mkdtempSync(join(tmpdir(), "pgpod-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("npm run stack", () => {
  it("prints its usage for --help, even after a command, and does nothing else", () => {
    const stateDir = join(scratch, "help");
    const { code, out } = stackCli(["reset", "--state-dir", stateDir, "--help"]);
    expect(code).toBe(0);
    expect(out).toMatch(/^usage: npm run stack -- <start\|stop\|status\|reset\|env>/);
    expect(existsSync(stateDir)).toBe(false);
  });

  it("refuses an unknown option or a flag without its value, changing nothing", () => {
    const stateDir = join(scratch, "unknown");
    const refusals: Array<[string[], string]> = [
      [["reset", "--state-dir", stateDir, "--force"], "unknown option --force; nothing was changed"],
      [["start", "--state-dir", stateDir, "--db-port"], "option --db-port needs a value; nothing was changed"],
    ];
    for (const [args, message] of refusals) {
      const { code, out } = stackCli(args);
      expect(code).toBe(2);
      expect(out).toContain(message);
      expect(existsSync(stateDir)).toBe(false);
    }
  });

  it("says the stack is already running instead of starting it twice", () => {
    const { code, out } = stackCli(["start", ...runningStackFlags()]);
    expect(code).toBe(0);
    expect(out).toMatch(/already running/);
  });

  it("reports a running stack in status", () => {
    const { code, out } = stackCli(["status", ...runningStackFlags()]);
    expect(code).toBe(0);
    expect(out).toMatch(/PostgreSQL:\s+running/);
    expect(out).toMatch(/services:\s+running/);
    // whether the real pgmq extension or the stand-in is in use
    expect(out).toMatch(/pgmq:\s+(real extension \d[\w.]*|local stand-in \(local\/sql\/pgmq\.sql\))\n/);
  });

  it("prints the settings as KEY=value lines, the same ones the tests use", () => {
    const { code, out } = stackCli(["env", ...runningStackFlags()]);
    expect(code).toBe(0);
    const env = Object.fromEntries(out.trim().split("\n").filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    expect(env.SUPABASE_DB_URL).toBe(stack().SUPABASE_DB_URL);
    expect(env.SUPABASE_SERVICE_ROLE_KEY).toBe(stack().SUPABASE_SERVICE_ROLE_KEY);
    expect(Object.keys(env)).toEqual(expect.arrayContaining(["SUPABASE_URL", "SUPABASE_ANON_KEY", "JWT_SECRET", "RUNPOD_EMULATOR_URL", "RUNPOD_API_KEY"]));
    expect(env.SUPABASE_REST_URL).toBe(`${stack().SUPABASE_URL}/rest/v1`);
    expect(env.SUPABASE_AUTH_URL).toBe(`${stack().SUPABASE_URL}/auth/v1`);
  });

  it("refuses a port in use with a clear message and starts nothing", async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const { code, out } = stackCli(["start", "--state-dir", scratch, "--db-port", String(port), "--api-port", "1", "--runpod-port", "2"]);
      expect(code).not.toBe(0);
      expect(out).toContain(`port ${port} is already in use`);
      expect(out).toContain("--db-port");
      expect(existsSync(join(scratch, "db"))).toBe(false);
    } finally {
      busy.close();
    }
  });

  it("rejects a malformed port before doing anything", () => {
    const { code, out } = stackCli(["status", "--state-dir", scratch, "--db-port", "not-a-port"]);
    expect(code).not.toBe(0);
    expect(out).toContain('--db-port must be a TCP port (1-65535), got "not-a-port"');
  });

  it("explains its usage for an unknown command", () => {
    const { code, out } = stackCli(["launch"]);
    expect(code).toBe(2);
    expect(out).toMatch(/usage: npm run stack -- <start\|stop\|status\|reset\|env>/);
  });
});
