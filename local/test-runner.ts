// `npm test`: a throw-away stack on free ports, then every suite against it,
// then the stack is stopped whatever happened. Prints one closing line with
// the totals.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { denoBin, edgeFunctions, functionsDir } from "./bin/deno.mjs";
import { repoRoot, resolveConfig, stackEnv } from "./stack/config.ts";
import { freePort } from "./stack/ports.ts";
import * as stack from "./stack/stack.ts";
import { onStopSignal } from "./stop-signals.ts";
import { typesProblem } from "./types.ts";

interface SuiteResult {
  name: string;
  passed: number;
  failed: number;
  ok: boolean;
}

/** The suite running now, ended when the runner is asked to stop. */
let running: ChildProcess | undefined;

/** Runs one suite, showing its output as it comes and keeping it for the counts. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ ok: boolean; out: string }> {
  process.stdout.write(`\n$ ${[cmd.replace(`${repoRoot}/`, ""), ...args].join(" ")}\n`);
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: repoRoot, env, stdio: ["ignore", "pipe", "inherit"] });
    running = child;
    let out = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      process.stdout.write(chunk);
    });
    child.once("error", (error) => {
      process.stdout.write(`could not run ${cmd}: ${error.message}\n`);
      resolve({ ok: false, out });
    });
    child.once("close", (code) => {
      running = undefined;
      resolve({ ok: code === 0, out });
    });
  });
}

const bin = (name: string) => join(repoRoot, "node_modules", ".bin", name);

function hasFiles(dir: string, suffix: string): boolean {
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith(suffix));
}

async function pgTap(env: NodeJS.ProcessEnv, dbPort: number): Promise<SuiteResult> {
  const dirs = ["supabase/tests", "local/tests"].filter((d) => hasFiles(join(repoRoot, d), ".sql"));
  const { ok, out } = await run("pg_prove", ["-h", "127.0.0.1", "-p", String(dbPort), "-U", "postgres", "-d", "postgres", "-r", "--ext", ".sql", ...dirs], env);
  const total = Number(/Tests=(\d+)/.exec(out)?.[1] ?? 0);
  const failedLine = /Failed (\d+)\/(\d+) subtests/g;
  let failed = 0;
  for (const m of out.matchAll(failedLine)) failed += Number(m[1]);
  if (!ok && failed === 0) failed = 1;
  return { name: "pgTAP", passed: total - failed, failed, ok };
}

async function vitest(env: NodeJS.ProcessEnv, stateDir: string): Promise<SuiteResult> {
  const report = join(stateDir, "vitest.json");
  const { ok } = await run(bin("vitest"), ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`], env);
  if (!existsSync(report)) return { name: "vitest", passed: 0, failed: 1, ok: false };
  const r = JSON.parse(readFileSync(report, "utf8"));
  // A file that fails outside a test (import, hook) counts no failed test: count the file.
  const brokenFiles = (r.testResults as Array<{ status: string; assertionResults: Array<{ status: string }> }>)
    .filter((f) => f.status === "failed" && !f.assertionResults.some((a) => a.status === "failed")).length;
  const failed = r.numFailedTests + brokenFiles;
  return { name: "vitest", passed: r.numPassedTests, failed: failed || (ok ? 0 : 1), ok };
}

/** Type-checks each function against the dependencies setup installed, with its lockfile as committed. */
async function deno(env: NodeJS.ProcessEnv): Promise<SuiteResult[]> {
  const names = edgeFunctions();
  if (names.length === 0) return [];
  const results: SuiteResult[] = [];
  for (const name of names) {
    const dir = join(functionsDir, name);
    const config = existsSync(join(dir, "deno.json")) ? ["--frozen-lockfile", "--config", join(dir, "deno.json")] : [];
    const { ok } = await run(denoBin, ["check", ...config, join(dir, "index.ts")], env);
    results.push({ name: `deno check ${name}`, passed: ok ? 1 : 0, failed: ok ? 0 : 1, ok });
  }
  const { ok } = await run(denoBin, ["lint", "supabase/functions"], env);
  results.push({ name: "deno lint", passed: ok ? 1 : 0, failed: ok ? 0 : 1, ok });
  return results;
}

async function typecheck(env: NodeJS.ProcessEnv, project: string, name: string): Promise<SuiteResult> {
  const { ok } = await run(bin("tsc"), ["--noEmit", "-p", project], env);
  return { name: `tsc (${name})`, passed: ok ? 1 : 0, failed: ok ? 0 : 1, ok };
}

/** Before any test adds to the database, so it holds the migrations and seed alone. */
function generatedTypes(dbUrl: string): SuiteResult {
  process.stdout.write("\n$ supabase gen types typescript (compared with supabase/database.types.ts)\n");
  let problem: string | undefined;
  try {
    problem = typesProblem(dbUrl);
  } catch (error) {
    problem = (error as Error).message;
  }
  if (problem) process.stdout.write(`${problem}\n`);
  return { name: "generated types", passed: problem ? 0 : 1, failed: problem ? 1 : 0, ok: !problem };
}

async function advisors(env: NodeJS.ProcessEnv, dbUrl: string): Promise<SuiteResult> {
  const { ok } = await run(bin("supabase"), ["db", "advisors", `--remote=${dbUrl}`, "--level", "warn", "--fail-on", "warn"], { ...env, PGSSLMODE: "disable" });
  return { name: "supabase db advisors", passed: ok ? 1 : 0, failed: ok ? 0 : 1, ok };
}

export async function main(args: string[]): Promise<number> {
  const keep = args.includes("--keep");
  // One state folder per run, so two runs in one checkout never stop each other's stack.
  const config = resolveConfig([
    "--state-dir", join(repoRoot, `.pgpod-test-${process.pid}`),
    "--db-port", String(await freePort()),
    "--api-port", String(await freePort()),
    "--runpod-port", String(await freePort()),
  ], {});
  const started = Date.now();
  const results: SuiteResult[] = [];
  const stopOnSignal = onStopSignal(async (signal) => {
    process.stderr.write(`\npgpod: ${signal}: stopping the tests and their stack\n`);
    running?.kill("SIGTERM");
    if (!keep) await stack.remove(config);
  });
  let pgmq = "not checked (the stack did not start)";
  try {
    await stack.start(config);
    const env = { ...process.env, ...(await stackEnv(config)), PGPOD_STATE_DIR: config.stateDir, PGPASSWORD: "postgres" };
    const dbUrl = env.SUPABASE_DB_URL;
    pgmq = await stack.pgmqInUse(dbUrl);
    results.push(generatedTypes(dbUrl));
    results.push(await pgTap(env, config.dbPort));
    results.push(await vitest(env, config.stateDir));
    results.push(...(await deno(env)));
    results.push(await typecheck(env, ".", "Node tooling and tests"));
    results.push(await typecheck(env, "app", "the web app's browser code"));
    results.push(await advisors(env, dbUrl));
  } catch (error) {
    process.stderr.write(`\npgpod: ${(error as Error).message}\n`);
    results.push({ name: "local stack", passed: 0, failed: 1, ok: false });
  } finally {
    stopOnSignal();
    if (!keep) await stack.remove(config);
  }
  process.stdout.write(`\nSummary (pgmq: ${pgmq})\n`);
  for (const r of results) {
    process.stdout.write(`  ${r.ok ? "ok  " : "FAIL"} ${r.name}: ${r.passed} passed, ${r.failed} failed\n`);
  }
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  process.stdout.write(`  took ${Math.round((Date.now() - started) / 1000)} s\n\ntests: ${passed} passed, ${failed} failed\n`);
  return results.every((r) => r.ok) ? 0 : 1;
}
