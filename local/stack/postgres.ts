// The stack's own PostgreSQL 15 cluster: initdb into the state folder, start
// and stop it with pg_ctl. As root, the cluster belongs to the `postgres` OS
// user, because PostgreSQL refuses to run as root. The database superuser is
// `postgres`, except in the hosted-privileges mode (./hosted.ts).
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StackConfig } from "./config.ts";

/** What the cluster functions need of a stack: where it lives and its port. */
type Cluster = Pick<StackConfig, "stateDir" | "dbPort">;

const bin = "/usr/lib/postgresql/15/bin";

export const dbDir = (c: Cluster) => join(c.stateDir, "db");
const socketDir = (c: Cluster) => join(c.stateDir, "run");
const logFile = (c: Cluster) => join(c.stateDir, "postgres.log");

function osUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
  return { uid, gid };
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

export function isInitialised(c: Cluster): boolean {
  return existsSync(join(dbDir(c), "PG_VERSION"));
}

export function initCluster(c: Cluster, superuser = "postgres"): void {
  const owner = osUser();
  // The state folder must be traversable by the cluster's OS user.
  mkdirSync(c.stateDir, { recursive: true });
  chmodSync(c.stateDir, 0o755);
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
shared_preload_libraries = 'pg_cron'
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
