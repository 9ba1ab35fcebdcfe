// The stack's database clients survive the postgres.js defect a Postgres
// restart sets off (a transaction's ROLLBACK written to a closed socket): the
// guard recognises it and the client answers the next query on a fresh
// connection. Run in a process of its own, as the defect throws uncaught.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isDriverWriteAfterClose } from "../../local/stack/db-client.ts";
import { stack } from "../support/stack.ts";

const repoRoot = join(import.meta.dirname, "..", "..");

function runFixture(...args: string[]) {
  const result = spawnSync(process.execPath, [join(repoRoot, "node_modules", "tsx", "dist", "cli.mjs"), join(repoRoot, "test", "fixtures", "driver-fault.ts"), ...args], {
    encoding: "utf8",
    env: { ...process.env, SUPABASE_DB_URL: stack().SUPABASE_DB_URL },
    timeout: 30_000,
  });
  const last = result.stdout.trim().split("\n").pop() ?? "";
  return { code: result.status, report: last.startsWith("{") ? JSON.parse(last) : { output: result.stdout + result.stderr } };
}

describe("database clients of the services process", () => {
  it("crash the process on the postgres.js defect without the guard's recovery", () => {
    const { code, report } = runFixture();
    expect(code).toBe(1);
    expect(report.crashed).toContain("Cannot read properties of null (reading 'write')");
  });

  it("answer the next query after the defect once the guard has renewed them", () => {
    const { code, report } = runFixture("--recover");
    expect(report).toEqual({ ended: "CONNECTION_CLOSED", faults: 1, next: 1 });
    expect(code).toBe(0);
  });

  it("leave other uncaught errors to crash the process", () => {
    expect(isDriverWriteAfterClose(new TypeError("Cannot read properties of null (reading 'write')"))).toBe(false);
    const fault = new TypeError("Cannot read properties of null (reading 'write')");
    fault.stack = `${fault.message}\n    at Immediate.nextWrite (file:///app/node_modules/postgres/src/connection.js:255:22)`;
    expect(isDriverWriteAfterClose(fault)).toBe(true);
    expect(isDriverWriteAfterClose(new Error("connect ECONNREFUSED 127.0.0.1:5432"))).toBe(false);
  });
});
