#!/usr/bin/env node
// Entry point for every npm script. It runs before node_modules exist, so it
// uses Node built-ins only: make sure the npm dependencies and the Debian
// packages are present, then hand over to the TypeScript CLI through tsx.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { planDebianInstall } from "./bootstrap.mjs";

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

function ensureDebianPackages() {
  const plan = planDebianInstall();
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
  // `npm install --no-save` installs the locked versions; `npm ci` would too,
  // but npm 11 refuses locks whose other-platform optional packages it left out itself.
  process.stdout.write("pgpod: installing npm dependencies (npm install)\n");
  if (run("npm", ["install", "--no-save", "--no-audit", "--no-fund"]) !== 0) fail("npm install failed; see the output above");
}

const [command, ...args] = process.argv.slice(2);
if (!command) fail("usage: node local/bin/run.mjs <stack|test|demo|runpod-emulator> [args]");

ensureNodeModules();
if (command !== "runpod-emulator") ensureDebianPackages();

const tsx = join(root, "node_modules", "tsx", "dist", "cli.mjs");
const status = run(process.execPath, [tsx, join(root, "local", "cli.ts"), command, ...args]);
process.exit(status);
