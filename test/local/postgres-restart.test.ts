// A Postgres restart in the middle of a run, on a stack of its own: the
// services process (gateway, Storage, emulator, pg_net worker) and both
// functions reconnect, every job finishes with no hand action, and the stack
// still reports healthy. Runs that a dispatcher claimed but could not record
// come back after claim_vt_s, runs whose webhook was lost after poll_after_s:
// both are set to their minimum so the test does not wait minutes.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, expect, it } from "vitest";
import { resolveConfig } from "../../local/stack/config.ts";
import { freePort } from "../../local/stack/ports.ts";
import { startCluster, stopCluster } from "../../local/stack/postgres.ts";
import { sleep, waitFor } from "../support/wait.ts";

const runner = join(import.meta.dirname, "..", "..", "local", "bin", "run.mjs");
const stateDir = mkdtempSync(join(tmpdir(), "pgpod-pg-restart-"));
const jobs = 100;

function stackCli(command: string, flags: string[] = []) {
  const result = spawnSync(process.execPath, [runner, "stack", command, "--state-dir", stateDir, ...flags], { encoding: "utf8" });
  return { code: result.status, out: result.stdout + result.stderr };
}

afterAll(() => {
  stackCli("stop");
  rmSync(stateDir, { recursive: true, force: true });
}, 60_000);

// Inserts that meet Postgres while it is down are tried again, as an app would.
async function insertJobs(sql: postgres.Sql, from: number, count: number) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await sql`insert into pgpod.jobs (endpoint, input)
                select 'image', jsonb_build_object('prompt', 'restart ' || g)
                from generate_series(${from}::int, ${from + count - 1}::int) g`;
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(200);
    }
  }
}

it(`finishes all ${jobs} jobs of a run during which Postgres restarts, and stays healthy`, async () => {
  const ports = [await freePort(), await freePort(), await freePort()];
  const start = stackCli("start", ["--db-port", String(ports[0]), "--api-port", String(ports[1]), "--runpod-port", String(ports[2])]);
  expect(start.code, start.out).toBe(0);
  const config = resolveConfig(["--state-dir", stateDir]);
  const sql = postgres(`postgresql://postgres:postgres@127.0.0.1:${ports[0]}/postgres`, { max: 2, onnotice: () => {}, connect_timeout: 5 });
  try {
    await sql`update pgpod.settings set claim_vt_s = 30, poll_after_s = 5`;
    const batches = 10;
    const perBatch = jobs / batches;
    const inserting = (async () => {
      for (let b = 0; b < batches; b++) {
        await insertJobs(sql, b * perBatch + 1, perBatch);
        await sleep(300);
      }
    })();
    // Restart once both functions have done work and more jobs are on their way.
    await waitFor("the first jobs to succeed", async () => {
      const [{ n }] = await sql`select count(*)::int as n from pgpod.jobs where status = 'succeeded'`;
      return n >= 5;
    }, 30_000, 50);
    stopCluster(config);
    startCluster(config);
    await inserting;

    const remaining = await waitFor(`all ${jobs} jobs to finish`, async () => {
      const rows = await sql<{ status: string; n: number }[]>`select status, count(*)::int as n from pgpod.jobs group by status`.catch(() => []);
      const done = rows.filter((r) => ["succeeded", "failed", "cancelled"].includes(r.status)).reduce((n, r) => n + r.n, 0);
      return done === jobs && rows;
    }, 150_000, 500);
    expect(Object.fromEntries(remaining.map((r) => [r.status, r.n]))).toEqual({ succeeded: jobs });
  } finally {
    await sql.end({ timeout: 5 });
  }
  const status = stackCli("status");
  expect(status.code, status.out).toBe(0);
  const log = readFileSync(join(stateDir, "services.log"), "utf8");
  expect(log).not.toContain("services failed");
  // Each function reconnected in the process it had: none was started again.
  for (const name of ["pgpod-dispatch", "pgpod-webhook"]) {
    expect(log.match(new RegExp(`\\[${name}\\] listening on`, "g")), name).toHaveLength(1);
  }
}, 240_000);
