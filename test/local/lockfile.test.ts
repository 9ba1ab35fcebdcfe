// `npm ci` installs from the lockfile as committed, on every OS: it refuses a
// lock that lacks an optional dependency, even one for another platform, so
// each locked package's optional dependencies must be locked too.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { repoRoot } from "../../local/stack/config.ts";

interface LockedPackage {
  version?: string;
  optionalDependencies?: Record<string, string>;
}

/** Where Node would resolve `name` from the package at `path`: its own node_modules, then each parent's. */
function resolveFrom(packages: Record<string, LockedPackage>, path: string, name: string): string | undefined {
  for (let dir = path; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf("/node_modules/")))) {
    const candidate = `${dir ? `${dir}/` : ""}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
  }
}

it("locks every optional dependency of every locked package, whatever platform it is for", () => {
  const lock = JSON.parse(readFileSync(join(repoRoot, "package-lock.json"), "utf8")) as { packages: Record<string, LockedPackage> };
  const missing: string[] = [];
  for (const [path, pkg] of Object.entries(lock.packages)) {
    for (const name of Object.keys(pkg.optionalDependencies ?? {})) {
      if (!resolveFrom(lock.packages, path, name)) missing.push(`${name} (wanted by ${path || "the project"})`);
    }
  }
  expect(missing).toEqual([]);
});
