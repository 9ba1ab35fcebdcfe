#!/usr/bin/env node
// Entry point for every npm script. It runs before node_modules exist, so it
// uses Node built-ins only: make sure the npm dependencies and the Debian
// packages are present, then hand over to the TypeScript CLI through tsx.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

// What the local stack needs from Debian, and the file that proves each is there.
const debianPackages = [
  ["postgresql-15", "/usr/lib/postgresql/15/bin/postgres"],
  ["postgresql-15-cron", "/usr/lib/postgresql/15/lib/pg_cron.so"],
  ["postgresql-15-pgtap", "/usr/share/postgresql/15/extension/pgtap.control"],
  ["libtap-parser-sourcehandler-pgtap-perl", "/usr/bin/pg_prove"],
];

function fail(message) {
  process.stderr.write(`\npgpod: ${message}\n\n`);
  process.exit(1);
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: "inherit", cwd: root, ...options });
  if (result.error) fail(`could not run ${cmd}: ${result.error.message}`);
  return result.status ?? 1;
}

function isDebian() {
  try {
    return /^ID(_LIKE)?=.*debian/m.test(readFileSync("/etc/os-release", "utf8"));
  } catch {
    return false;
  }
}

function ensureDebianPackages() {
  const missing = debianPackages.filter(([, file]) => !existsSync(file)).map(([name]) => name);
  if (missing.length === 0) return;
  const command = `apt-get update && apt-get install -y ${missing.join(" ")}`;
  if (!isDebian()) {
    fail(
      `the local stack needs PostgreSQL 15 with pg_cron and pgTAP (${missing.join(", ")}).\n` +
        `This is not a Debian system: install the equivalents with your package manager, or run on Debian:\n  ${command}`,
    );
  }
  if (process.getuid?.() !== 0) {
    fail(`missing Debian packages: ${missing.join(", ")}.\nRun as root:\n  sudo sh -c '${command}'`);
  }
  process.stdout.write(`pgpod: installing ${missing.join(", ")} (apt-get)\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (run("apt-get", ["update", "-qq"], { env }) !== 0) fail(`apt-get update failed; run it by hand:\n  ${command}`);
  if (run("apt-get", ["install", "-y", "-qq", ...missing], { env }) !== 0) {
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
