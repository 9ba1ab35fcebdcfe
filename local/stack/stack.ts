// `npm run stack -- start | stop | status | reset | env`: one local,
// Docker-free Supabase-like stack per state folder.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, openSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import type { FunctionState } from "../gateway/functions.ts";
import { defaultEmulatorUrl, repoRoot, resolveConfig, savedPorts, savePorts, stackEnv, type StackConfig, type StackEnv } from "./config.ts";
import { portFree } from "./ports.ts";
import { onStopSignal } from "../stop-signals.ts";
import * as pg from "./postgres.ts";
import { missingBinaryMessage, postgrestBinary } from "../rest/postgrest.ts";

const say = (line: string) => process.stdout.write(`${line}\n`);
const pidFile = (c: StackConfig) => join(c.stateDir, "services.pid");
const servicesLog = (c: StackConfig) => join(c.stateDir, "services.log");
const sqlDir = join(repoRoot, "local", "sql");

function servicesPid(c: StackConfig): number | undefined {
  if (!existsSync(pidFile(c))) return undefined;
  const pid = Number(readFileSync(pidFile(c), "utf8"));
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

async function assertPortsFree(c: StackConfig, which: Array<"dbPort" | "apiPort" | "runpodPort">) {
  const flags = { dbPort: "--db-port", apiPort: "--api-port", runpodPort: "--runpod-port" };
  for (const key of which) {
    if (!(await portFree(c[key]))) {
      throw new Error(
        `port ${c[key]} is already in use on 127.0.0.1, so the stack cannot start there.\n` +
          `Stop whatever holds it, or pick another port with ${flags[key]} (or PGPOD_${key.replace("Port", "").toUpperCase()}_PORT).`,
      );
    }
  }
}

/** Which pgmq the database runs: the installed extension (with its version) or the SQL stand-in. */
export async function pgmqInUse(dbUrl: string): Promise<string> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ extversion: string }[]>`select extversion from pg_extension where extname = 'pgmq'`;
    return row ? `real extension ${row.extversion}` : "local stand-in (local/sql/pgmq.sql)";
  } finally {
    await sql.end();
  }
}

/**
 * Local stand-ins for what a hosted database has and Debian's Postgres lacks,
 * applied as `superuser` (connecting with `superuserUrl`).
 */
export async function applyPlatform(c: Pick<StackConfig, "stateDir" | "dbPort">, superuserUrl: string, superuser = "postgres") {
  const platform = join(sqlDir, "platform");
  pg.runSqlFiles(c, readdirSync(platform).filter((f) => f.endsWith(".sql")).sort().map((f) => join(platform, f)), superuser);
  const sql = postgres(superuserUrl, { max: 1, onnotice: () => {} });
  try {
    // The real pgmq when this Postgres has it; the SQL stand-in otherwise.
    await sql`create extension if not exists pgmq`.catch(() => undefined);
    const [{ real }] = await sql`select exists (select 1 from pg_extension where extname = 'pgmq') as real`;
    say(real ? "pgmq: using the installed extension" : "pgmq: extension not available, using the local stand-in");
    if (!real) pg.runSqlFiles(c, [join(sqlDir, "pgmq.sql")], superuser);
  } finally {
    await sql.end();
  }
  pg.runSqlFiles(c, [join(sqlDir, "pg_net.sql")], superuser);
}

/** Runs the project's Supabase CLI; returns what it printed, throws with it on failure. */
export function supabaseCli(args: string[]): string {
  const result = spawnSync(join(repoRoot, "node_modules", ".bin", "supabase"), args, {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, PGSSLMODE: "disable", SUPABASE_YES: "1" },
  });
  const output = (result.stdout + result.stderr).trim();
  if (result.status !== 0) {
    throw new Error(`supabase ${args[0]} ${args[1] ?? ""} failed:\n${output}`);
  }
  return output;
}

/**
 * Points the database at this stack's services: the Vault secrets the kick
 * trigger and pg_cron read, the RunPod URL of the endpoints on its emulator
 * (the seed names the default emulator port), and the dispatch schedule.
 */
async function wireDatabase(env: StackEnv, emulatorUrlsBefore: string[]) {
  const sql = postgres(env.SUPABASE_DB_URL, { max: 1, onnotice: () => {} });
  try {
    for (const [name, value] of [["pgpod_project_url", env.SUPABASE_URL], ["pgpod_dispatch_secret", env.PGPOD_DISPATCH_SECRET]]) {
      const [existing] = await sql`select id from vault.secrets where name = ${name}`;
      if (existing) await sql`select vault.update_secret(${existing.id}, ${value})`;
      else await sql`select vault.create_secret(${value}, ${name})`;
    }
    // Endpoints on the seed's emulator URL, or on this stack's previous one.
    await sql`
      update pgpod.endpoints
         set api_base = ${`${env.RUNPOD_EMULATOR_URL}/v2`}
       where api_base = any(${emulatorUrlsBefore.map((url) => `${url}/v2`)})`;
    await sql`select pgpod.schedule_dispatch('10 seconds')`;
  } finally {
    await sql.end();
  }
}

async function waitForServices(c: StackConfig, pid: number, urls: string[]) {
  const deadline = Date.now() + 60_000;
  for (const url of urls) {
    for (;;) {
      try {
        process.kill(pid, 0);
      } catch {
        throw new Error(`the stack's services exited while starting; see ${servicesLog(c)}:\n` +
          readFileSync(servicesLog(c), "utf8").split("\n").slice(-15).join("\n"));
      }
      const ok = await fetch(url).then((r) => r.status < 500, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`${url} did not answer within 60 s; see ${servicesLog(c)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * What the running services report of the functions: how starting each once
 * went (undefined while that is under way), and how each is doing now.
 */
async function functionStates(apiUrl: string): Promise<{ boot?: FunctionState[]; now: FunctionState[] }> {
  const report = (await (await fetch(`${apiUrl}/health`)).json()) as { boot?: FunctionState[] | "booting"; functions?: FunctionState[] };
  return { boot: Array.isArray(report.boot) ? report.boot : undefined, now: report.functions ?? [] };
}

/** Waits until the services have started every function once; throws with the output of those that failed. */
async function waitForFunctions(c: StackConfig, apiUrl: string) {
  const deadline = Date.now() + 120_000;
  let states: FunctionState[] | undefined;
  while (!(states = (await functionStates(apiUrl)).boot)) {
    if (Date.now() > deadline) throw new Error(`the Edge Functions did not finish starting within 120 s; see ${servicesLog(c)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const failed = states.filter((f) => f.state === "failed");
  if (failed.length > 0) {
    const notInstalled = failed.some((f) => /not found in cache|--cached-only/.test(f.error ?? ""));
    throw new Error(failed.map((f) => `Edge Function ${f.name} cannot start: ${f.error}`).join("\n\n") + (notInstalled
      ? "\n\nIts Deno dependencies are not in this Deno cache (DENO_DIR). Every npm script installs them first: npm run stack -- start."
      : ""));
  }
}

export async function start(c: StackConfig): Promise<void> {
  if (pg.clusterRunning(c) && servicesPid(c)) {
    say(`pgpod stack is already running (state ${c.stateDir}); "npm run stack -- env" prints its settings.`);
    return;
  }
  const env = await stackEnv(c);
  const fresh = !pg.isInitialised(c);
  if (!pg.clusterRunning(c)) {
    await assertPortsFree(c, ["dbPort"]);
    if (fresh) {
      say(`initialising a PostgreSQL 15 cluster in ${pg.dbDir(c)}`);
      pg.initCluster(c);
    }
    say(`starting PostgreSQL on 127.0.0.1:${c.dbPort}`);
    pg.startCluster(c);
  }
  await assertPortsFree(c, ["apiPort", "runpodPort"]);
  const emulatorUrlsBefore = [defaultEmulatorUrl, `http://127.0.0.1:${savedPorts(c.stateDir)?.runpodPort ?? c.runpodPort}`];
  savePorts(c);
  say("applying the platform bootstrap (roles, auth, vault, realtime, storage, pgmq, pg_net)");
  await applyPlatform(c, env.SUPABASE_DB_URL);
  say("applying migrations and seed with the Supabase CLI (db push)");
  supabaseCli(["db", "push", `--remote=${env.SUPABASE_DB_URL}`, "--include-all", "--include-seed", "--yes"]);
  await wireDatabase(env, emulatorUrlsBefore);

  say("starting the API gateway (functions, Data API, Auth, Storage), the RunPod emulator and the pg_net worker");
  if (!postgrestBinary()) say(`warning: ${missingBinaryMessage()}; everything else runs`);
  const out = openSync(servicesLog(c), "a");
  const child = spawn(
    process.execPath,
    [join(repoRoot, "node_modules", "tsx", "dist", "cli.mjs"), join(repoRoot, "local", "stack", "services.ts"),
      "--state-dir", c.stateDir, "--db-port", String(c.dbPort), "--api-port", String(c.apiPort),
      "--runpod-port", String(c.runpodPort)],
    { detached: true, stdio: ["ignore", out, out], cwd: repoRoot },
  );
  child.unref();
  writeFileSync(pidFile(c), String(child.pid));
  try {
    await waitForServices(c, child.pid!, [`${env.SUPABASE_URL}/health`, `${env.RUNPOD_EMULATOR_URL}/health`]);
    say("starting each Edge Function once");
    await waitForFunctions(c, env.SUPABASE_URL);
  } catch (error) {
    await stop(c);
    throw error;
  }
  say(`pgpod stack is running: API ${env.SUPABASE_URL}, DB ${env.SUPABASE_DB_URL}, RunPod emulator ${env.RUNPOD_EMULATOR_URL}`);
}

async function stopServices(c: StackConfig) {
  const pid = servicesPid(c);
  if (pid) {
    // The services run in their own process group with their Deno children.
    try {
      process.kill(-pid, "SIGTERM");
    } catch {
      process.kill(pid, "SIGTERM");
    }
    const deadline = Date.now() + 10_000;
    while (servicesPid(c) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (servicesPid(c)) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
  }
  if (existsSync(pidFile(c))) unlinkSync(pidFile(c));
}

export async function stop(c: StackConfig): Promise<void> {
  const wasRunning = pg.clusterRunning(c) || servicesPid(c) !== undefined;
  await stopServices(c);
  pg.stopCluster(c);
  say(wasRunning ? "pgpod stack stopped" : "pgpod stack was not running");
}

export async function reset(c: StackConfig): Promise<void> {
  await stop(c);
  say("removing the database and stored files");
  pg.removeCluster(c);
  rmSync(join(c.stateDir, "storage"), { recursive: true, force: true });
  await start(c);
}

function describeFunction(f: FunctionState): string {
  if (f.state === "running") return `running (pid ${f.pid}, port ${f.port})`;
  if (f.state === "stopped") return "not running (starts on the next request)";
  if (f.state === "failed") return `failed to start: ${f.error}`;
  return f.state;
}

/** Stops the stack and deletes its state folder and its database, wherever that lives. */
export async function remove(c: StackConfig): Promise<void> {
  await stop(c);
  pg.removeCluster(c);
  rmSync(c.stateDir, { recursive: true, force: true });
}

export async function status(c: StackConfig): Promise<boolean> {
  const db = pg.clusterRunning(c);
  const services = servicesPid(c) !== undefined;
  say(`state folder: ${c.stateDir}`);
  say(`PostgreSQL:   ${db ? `running on 127.0.0.1:${c.dbPort}` : "stopped"}`);
  if (db) say(`pgmq:         ${await pgmqInUse((await stackEnv(c)).SUPABASE_DB_URL).catch(() => "unknown (database not answering)")}`);
  say(`services:     ${services ? `running (API :${c.apiPort}, RunPod emulator :${c.runpodPort})` : "stopped"}`);
  if (!services) return false;
  const env = await stackEnv(c);
  const functions = await functionStates(env.SUPABASE_URL).then((states) => states.now, (error: Error) => {
    say(`functions:    the API at ${env.SUPABASE_URL} does not answer (${error.message})`);
    return [];
  });
  for (const f of functions) say(`function ${f.name}: ${describeFunction(f)}`);
  return db && functions.length > 0 && functions.every((f) => f.state !== "failed");
}

export async function printEnv(c: StackConfig): Promise<void> {
  const env = await stackEnv(c);
  const services = { SUPABASE_REST_URL: `${env.SUPABASE_URL}/rest/v1`, SUPABASE_AUTH_URL: `${env.SUPABASE_URL}/auth/v1` };
  for (const [key, value] of Object.entries({ ...env, ...services, PGPOD_STATE_DIR: c.stateDir })) say(`${key}=${value}`);
}

const stackUsage = "usage: npm run stack -- <start|stop|status|reset|env> [--state-dir DIR] [--db-port N] [--api-port N] [--runpod-port N]";
const stackOptions = new Set(["--state-dir", "--db-port", "--api-port", "--runpod-port"]);

/** What is wrong with the options after the command, if anything. */
function badArguments(rest: string[]): string | undefined {
  for (let i = 0; i < rest.length; i++) {
    const [name, inline] = rest[i].split(/=(.*)/s, 2);
    if (!stackOptions.has(name)) return `unknown option ${rest[i]}`;
    if (inline === undefined && (rest[i + 1] === undefined || rest[i + 1].startsWith("--"))) return `option ${name} needs a value`;
    if (inline === undefined) i++;
  }
  return undefined;
}

export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  // Checked before anything runs: `reset --help` must not reset the stack.
  if (args.includes("--help") || args.includes("-h")) {
    say(stackUsage);
    return 0;
  }
  const bad = badArguments(rest);
  if (bad !== undefined) {
    say(`${bad}; nothing was changed`);
    say(stackUsage);
    return 2;
  }
  const config = resolveConfig(rest);
  switch (command) {
    case "start":
      // Interrupted while starting, it stops what it started; once started, the stack runs on by itself.
      onStopSignal(() => stop(config));
      await start(config);
      return 0;
    case "stop": await stop(config); return 0;
    case "reset": await reset(config); return 0;
    case "status": return (await status(config)) ? 0 : 3;
    case "env": await printEnv(config); return 0;
    default:
      say(stackUsage);
      return 2;
  }
}
