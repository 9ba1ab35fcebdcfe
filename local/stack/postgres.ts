// The stack's own PostgreSQL 15 cluster: initdb, then start and stop it with
// pg_ctl. As root, the cluster belongs to the `postgres` OS user, because
// PostgreSQL refuses to run as root; when that user cannot reach the state
// folder (a clone under /root, or in a `mktemp -d` folder), the cluster lives
// in the postgres user's home instead, linked from the state folder. The
// database superuser is `postgres`, except in the hosted-privileges mode
// (./hosted.ts).
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import type { StackConfig } from "./config.ts";

/** What the cluster functions need of a stack: where it lives and its port. */
type Cluster = Pick<StackConfig, "stateDir" | "dbPort">;

const bin = "/usr/lib/postgresql/15/bin";

function osUser(): { uid: number; gid: number; home: string } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const [, , uid, gid, , home] = execFileSync("getent", ["passwd", "postgres"]).toString().trim().split(":");
  return { uid: Number(uid), gid: Number(gid), home };
}

function asOwner(cmd: string, args: string[]) {
  const owner = osUser();
  const [file, argv] = owner ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
  return spawnSync(file, argv, { encoding: "utf8" });
}

function check(result: ReturnType<typeof spawnSync>, what: string) {
  if (result.status !== 0) {
    throw new Error(`${what} failed:\n${String(result.stderr || result.stdout).trim()}`);
  }
}

/** Where clusters of state folders the postgres user cannot reach live, one folder each. */
const elsewhere = (home: string) => join(home, "pgpod");
const linkedDb = (c: Cluster) => join(c.stateDir, "db");

/** The folder holding the cluster's db/, run/ and postgres.log: the state folder, or its folder elsewhere. */
function clusterHome(c: Cluster): string {
  const link = linkedDb(c);
  const stat = lstatSync(link, { throwIfNoEntry: false });
  if (stat) return stat.isSymbolicLink() ? dirname(readlinkSync(link)) : c.stateDir;
  const owner = osUser();
  if (!owner || asOwner("test", ["-x", c.stateDir]).status === 0) return c.stateDir;
  return join(elsewhere(owner.home), createHash("sha256").update(c.stateDir).digest("hex").slice(0, 16));
}

export const dbDir = (c: Cluster) => join(clusterHome(c), "db");
const socketDir = (c: Cluster) => join(clusterHome(c), "run");
const logFile = (c: Cluster) => join(clusterHome(c), "postgres.log");

export function isInitialised(c: Cluster): boolean {
  return existsSync(join(dbDir(c), "PG_VERSION"));
}

/**
 * Removes the clusters kept elsewhere whose state folder is gone or no longer
 * links to them (deleted without `stack stop` and a reset), unless running.
 */
function sweepOrphans(home: string) {
  if (!existsSync(home)) return;
  for (const name of readdirSync(home)) {
    const dir = join(home, name);
    const owner = join(dir, "state-dir");
    const stateDir = existsSync(owner) ? readFileSync(owner, "utf8") : "";
    const link = join(stateDir, "db");
    const linked = stateDir !== "" && lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink() && readlinkSync(link) === join(dir, "db");
    const running = asOwner(`${bin}/pg_ctl`, ["-D", join(dir, "db"), "status"]).status === 0;
    if (!linked && !running) rmSync(dir, { recursive: true, force: true });
  }
}

/** Removes the cluster's files (it must be stopped), wherever they live. */
export function removeCluster(c: Cluster): void {
  const home = clusterHome(c);
  if (home === c.stateDir) {
    for (const path of [dbDir(c), socketDir(c), logFile(c)]) rmSync(path, { recursive: true, force: true });
    return;
  }
  rmSync(home, { recursive: true, force: true });
  rmSync(linkedDb(c), { force: true });
  rmSync(join(c.stateDir, "postgres.log"), { force: true });
}

export function initCluster(c: Cluster, superuser = "postgres"): void {
  const owner = osUser();
  // The cluster's OS user must be able to traverse the folder that holds it.
  mkdirSync(c.stateDir, { recursive: true });
  chmodSync(c.stateDir, 0o755);
  const home = clusterHome(c);
  if (owner && home !== c.stateDir) {
    sweepOrphans(dirname(home));
    mkdirSync(home, { recursive: true, mode: 0o700 });
    for (const dir of [dirname(home), home]) chownSync(dir, owner.uid, owner.gid);
    writeFileSync(join(home, "state-dir"), c.stateDir);
    mkdirSync(dbDir(c), { recursive: true, mode: 0o700 });
    symlinkSync(dbDir(c), linkedDb(c));
    symlinkSync(logFile(c), join(c.stateDir, "postgres.log"));
  }
  for (const dir of [dbDir(c), socketDir(c)]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (owner) chownSync(dir, owner.uid, owner.gid);
  }
  const pwfile = join(socketDir(c), "pwfile");
  writeFileSync(pwfile, "postgres\n", { mode: 0o600 });
  if (owner) chownSync(pwfile, owner.uid, owner.gid);
  check(
    asOwner(`${bin}/initdb`, [
      "-D", dbDir(c), "-U", superuser, "--pwfile", pwfile, "-E", "UTF8", "--locale", "C.UTF-8",
      "--auth-local", "trust", "--auth-host", "scram-sha-256",
    ]),
    "initdb",
  );
  const conf = join(dbDir(c), "postgresql.conf");
  writeFileSync(
    conf,
    readFileSync(conf, "utf8") +
      `
# pgpod local stack
listen_addresses = '127.0.0.1'
unix_socket_directories = '${socketDir(c)}'
# pg_stat_statements as on Supabase; npm run bench reads server time per step from it
shared_preload_libraries = 'pg_cron, pg_stat_statements'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 32
max_connections = 200
wal_level = logical
synchronous_commit = off
timezone = 'UTC'
log_timezone = 'UTC'
`,
  );
}

/** Writes the port each time, so a stack can be restarted on another port. */
export function startCluster(c: Cluster): void {
  const log = logFile(c);
  if (!existsSync(log)) writeFileSync(log, "");
  const owner = osUser();
  if (owner) chownSync(log, owner.uid, owner.gid);
  check(
    asOwner(`${bin}/pg_ctl`, ["-D", dbDir(c), "-l", log, "-o", `-p ${c.dbPort}`, "-w", "-t", "60", "start"]),
    `starting PostgreSQL on port ${c.dbPort} (log: ${log})`,
  );
}

export function clusterRunning(c: Cluster): boolean {
  if (!isInitialised(c)) return false;
  return asOwner(`${bin}/pg_ctl`, ["-D", dbDir(c), "status"]).status === 0;
}

export function stopCluster(c: Cluster): void {
  if (!clusterRunning(c)) return;
  check(asOwner(`${bin}/pg_ctl`, ["-D", dbDir(c), "-m", "fast", "-w", "stop"]), "stopping PostgreSQL");
}

/** Runs SQL files in order through psql as the superuser, stopping at the first error. */
export function runSqlFiles(c: Cluster, files: string[], superuser = "postgres"): void {
  for (const file of files) {
    const result = spawnSync(
      `${bin}/psql`,
      ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(c.dbPort), "-U", superuser, "-d", "postgres", "-f", file],
      { encoding: "utf8", env: { ...process.env, PGPASSWORD: "postgres" } },
    );
    check(result, `applying ${file}`);
  }
}
