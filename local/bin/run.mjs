#!/usr/bin/env node
// Entry point for every npm script. It runs before node_modules exist, so it
// uses Node built-ins only: make sure the npm dependencies, the Edge
// Functions' Deno dependencies and the Debian packages are present, then hand
// over to the TypeScript CLI (loaded through tsx), passing signals on so that
// stopping an npm script stops everything it started.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { browserPackages, debianPackages, planDebianInstall } from "./bootstrap.mjs";
import { installFunctionDependencies } from "./deno.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** @param {string} message @returns {never} */
function fail(message) {
  process.stderr.write(`\npgpod: ${message}\n\n`);
  process.exit(1);
}

/** @param {string} cmd @param {string[]} args @param {import("node:child_process").SpawnSyncOptions} [options] */
function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: "inherit", cwd: root, ...options });
  if (result.error) fail(`could not run ${cmd}: ${result.error.message}`);
  return result.status ?? 1;
}

/** @param {string[][]} packages */
function ensureDebianPackages(packages) {
  const plan = planDebianInstall({}, packages);
  if (plan.action === "none") return;
  if (plan.action === "fail") return fail(plan.message);
  const command = `apt-get update && apt-get install -y ${plan.packages.join(" ")}`;
  process.stdout.write(`pgpod: installing ${plan.packages.join(", ")} (apt-get)\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (run("apt-get", ["update", "-qq"], { env }) !== 0) fail(`apt-get update failed; run it by hand:\n  ${command}`);
  if (run("apt-get", ["install", "-y", "-qq", ...plan.packages], { env }) !== 0) {
    fail(`apt-get install failed; run it by hand:\n  ${command}`);
  }
}

function ensureNodeModules() {
  if (existsSync(join(root, "node_modules", ".package-lock.json")) && existsSync(join(root, "node_modules", "tsx"))) return;
  process.stdout.write("pgpod: installing the locked npm dependencies (npm ci)\n");
  if (run("npm", ["ci", "--no-audit", "--no-fund"]) !== 0) fail("npm ci failed; see the output above");
}

function ensureDenoDependencies() {
  const { failed } = installFunctionDependencies({
    onInstall: (names) => process.stdout.write(`pgpod: installing the Deno dependencies of ${names.join(", ")} (deno install)\n`),
  });
  if (failed) {
    fail(
      `deno install failed for supabase/functions/${failed}; see the output above.\n` +
        "Behind a proxy, set HTTPS_PROXY (and NO_PROXY); with an extra CA, set NODE_EXTRA_CA_CERTS, SSL_CERT_FILE or DENO_CERT to its PEM file.\n" +
        `If deno.lock is out of date, update it with: npx deno install --config supabase/functions/${failed}/deno.json --entrypoint supabase/functions/${failed}/index.ts`,
    );
  }
}

const [command, ...args] = process.argv.slice(2);
if (!command) fail("usage: node local/bin/run.mjs <stack|test|demo|bench|import-files|runpod-emulator> [args]");

ensureNodeModules();
// The emulator and import-files talk to running services only: no Deno, no Postgres of their own.
if (command !== "runpod-emulator" && command !== "import-files") {
  ensureDenoDependencies();
  ensureDebianPackages(command === "test" ? [...debianPackages, ...browserPackages] : debianPackages);
}

const tsx = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;
// "source": the workspace's @pgpod/client (the demo uses it) resolves to its TypeScript sources, not a build.
const child = spawn(process.execPath, ["--conditions=source", "--import", tsx, join(root, "local", "cli.ts"), command, ...args], { stdio: "inherit", cwd: root });
child.once("error", (error) => fail(`could not run the pgpod CLI: ${error.message}`));
// The CLI cleans up on these and exits; until it does, this process waits for it.
for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM", "SIGHUP"])) {
  process.on(signal, () => child.kill(signal));
}
// npm runs this through `sh -c`, and a SIGTERM to npm ends that shell without
// reaching this process: losing the parent counts as a SIGTERM.
const parent = process.ppid;
const orphaned = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(orphaned);
  child.kill("SIGTERM");
}, 250);
child.once("exit", (code, signal) => process.exit(code ?? 128 + (signal ? constants.signals[signal] : 1)));
