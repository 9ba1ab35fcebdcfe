// A second stack of its own, beside the one `npm test` runs: reset recreates
// the database from the migrations (and the Data API serves it), stop leaves
// no process behind, and remove leaves no file. Its state folder is inside a
// folder only its owner may enter, like a clone under /root, which as root the
// postgres OS user cannot reach.
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, expect, it } from "vitest";
import { resolveConfig } from "../../local/stack/config.ts";
import { freePort, portFree } from "../../local/stack/ports.ts";
import { remove } from "../../local/stack/stack.ts";
import { alive, processesIn } from "../support/processes.ts";
import { waitFor } from "../support/wait.ts";

const runner = join(import.meta.dirname, "..", "..", "local", "bin", "run.mjs");
const ownerOnly = mkdtempSync(join(tmpdir(), "pgpod-lifecycle-"));
const stateDir = join(ownerOnly, "state");
let flags: string[] = [];

function stackCli(command: string) {
  const result = spawnSync(process.execPath, [runner, "stack", command, ...flags], { encoding: "utf8" });
  return { code: result.status, out: result.stdout + result.stderr };
}


afterAll(async () => {
  await remove(resolveConfig(["--state-dir", stateDir]));
  rmSync(ownerOnly, { recursive: true, force: true });
}, 60_000);

it("resets to the migrations and stops without leaving a process", async () => {
  const ports = { db: await freePort(), api: await freePort(), runpod: await freePort() };
  flags = ["--state-dir", stateDir, "--db-port", String(ports.db), "--api-port", String(ports.api), "--runpod-port", String(ports.runpod)];
  expect(stackCli("start").code).toBe(0);
  const dbUrl = `postgresql://postgres:postgres@127.0.0.1:${ports.db}/postgres`;

  let sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  await sql`create table public.left_behind (id int)`;
  await sql.end();

  const reset = stackCli("reset");
  expect(reset.code).toBe(0);
  sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  const [{ leftover, endpoints }] = await sql`
    select to_regclass('public.left_behind') is not null as leftover, (select count(*)::int from pgpod.endpoints) as endpoints`;
  await sql.end();
  expect(leftover).toBe(false);
  expect(endpoints).toBeGreaterThan(0);

  const servicesPid = Number(readFileSync(join(stateDir, "services.pid"), "utf8"));
  const postgresPid = Number(readFileSync(join(stateDir, "db", "postmaster.pid"), "utf8").split("\n")[0]);
  expect(alive(servicesPid) && alive(postgresPid)).toBe(true);
  const [postgrestPid] = processesIn(servicesPid, "postgrest");
  expect(postgrestPid).toBeDefined();

  // The Data API serves the recreated schema.
  const env = Object.fromEntries(stackCli("env").out.split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  const rest = await fetch(`${env.SUPABASE_REST_URL}/endpoints?select=name&name=eq.image`, {
    headers: { apikey: env.SUPABASE_SERVICE_ROLE_KEY, authorization: `Bearer ${env.SUPABASE_SERVICE_ROLE_KEY}`, "accept-profile": "pgpod" },
  });
  expect(rest.status).toBe(200);
  expect(await rest.json()).toEqual([{ name: "image" }]);

  const stop = stackCli("stop");
  expect(stop.code).toBe(0);
  expect(stop.out).toContain("pgpod stack stopped");
  // pg_ctl returns once the pid file is gone; the postmaster exits a moment later.
  await waitFor("PostgreSQL to exit", async () => !alive(postgresPid), 10_000);
  expect(alive(servicesPid)).toBe(false);
  expect(alive(postgrestPid!)).toBe(false);
  expect(existsSync(join(stateDir, "services.pid"))).toBe(false);
  for (const port of Object.values(ports)) expect(await portFree(port)).toBe(true);
  expect(stackCli("status").code).toBe(3);

  // As root the cluster lives where the postgres user can reach it, linked from the state folder.
  const link = join(stateDir, "db");
  const elsewhere = lstatSync(link).isSymbolicLink() ? readlinkSync(link) : undefined;
  expect(elsewhere !== undefined).toBe(process.getuid?.() === 0);
  await remove(resolveConfig(["--state-dir", stateDir]));
  expect(existsSync(stateDir)).toBe(false);
  if (elsewhere) expect(existsSync(elsewhere)).toBe(false);
}, 180_000);
