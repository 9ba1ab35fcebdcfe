// What the npm scripts need from Debian before anything else can run, and
// what to do when some of it is missing. Node built-ins only: this runs
// before node_modules exist.
import { existsSync, readFileSync } from "node:fs";

/** Each package and the file that proves it is installed. */
export const debianPackages = [
  ["postgresql-15", "/usr/lib/postgresql/15/bin/postgres"],
  ["postgresql-15-cron", "/usr/lib/postgresql/15/lib/pg_cron.so"],
  ["postgresql-15-pgtap", "/usr/share/postgresql/15/extension/pgtap.control"],
  ["libtap-parser-sourcehandler-pgtap-perl", "/usr/bin/pg_prove"],
];

/** What the browser tests add (`npm test` only): Debian's Chromium, driven by playwright-core. */
export const browserPackages = [["chromium", "/usr/bin/chromium"]];

/**
 * @param {{ exists?: (file: string) => boolean, osRelease?: string, uid?: number }} [machine]
 * @param {string[][]} [packages] the packages needed, as [name, file] pairs
 * @returns {{ action: "none" } | { action: "install", packages: string[] } | { action: "fail", message: string }}
 */
export function planDebianInstall(machine = {}, packages = debianPackages) {
  const exists = machine.exists ?? existsSync;
  const missing = packages.filter(([, file]) => !exists(file)).map(([name]) => name);
  if (missing.length === 0) return { action: "none" };
  const command = `apt-get update && apt-get install -y ${missing.join(" ")}`;
  const osRelease = machine.osRelease ?? readOsRelease();
  if (!/^ID(_LIKE)?=.*debian/m.test(osRelease)) {
    return {
      action: "fail",
      message:
        `missing packages: ${missing.join(", ")} (the local stack runs PostgreSQL 15 with pg_cron and pgTAP; the browser tests run Chromium).\n` +
        `This is not a Debian system: install the equivalents with your package manager, or on Debian run:\n  ${command}`,
    };
  }
  if ((machine.uid ?? process.getuid?.()) !== 0) {
    return { action: "fail", message: `missing Debian packages: ${missing.join(", ")}.\nRun as root:\n  sudo sh -c '${command}'` };
  }
  return { action: "install", packages: missing };
}

function readOsRelease() {
  try {
    return readFileSync("/etc/os-release", "utf8");
  } catch {
    return "";
  }
}
