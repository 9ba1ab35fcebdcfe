// Command-line options of `npm run demo`, and where its stack lives: its own
// state folder and ports, so it runs beside a developer's stack.
import { join } from "node:path";
import { repoRoot, resolveConfig, savedPorts, type StackConfig } from "../../local/stack/config.ts";
import { freePort, portFree } from "../../local/stack/ports.ts";
import { clusterRunning } from "../../local/stack/postgres.ts";

export interface DemoOptions {
  jobs: number;
  keep: boolean;
  /** Submissions are spread over this many seconds, like users arriving. */
  durationS: number;
  /** How long to wait for every job to end before naming the stragglers. */
  timeoutS: number;
  stack: StackConfig;
}

export const usage = `usage: npm run demo -- [--jobs N] [--duration S] [--timeout S] [--keep]
                     [--state-dir DIR] [--db-port N] [--api-port N] [--runpod-port N]

  --jobs N       jobs to submit (default 300, at least 10)
  --duration S   spread the submissions over S seconds (default 20)
  --timeout S    give up waiting after S seconds and name the unfinished jobs (default 240)
  --keep         leave the stack running afterwards (stop it with npm run stack -- stop --state-dir DIR)
  --state-dir    the demo stack's folder (default .pgpod-demo/); ports default to 54341-54343,
                 or free ones when those are taken`;

/** The demo's preferred ports: next to Supabase's defaults, away from them. */
const preferredPorts = { dbPort: 54342, apiPort: 54341, runpodPort: 54343 };

function flagValue(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`) return args[i + 1];
    if (args[i].startsWith(`--${name}=`)) return args[i].slice(name.length + 3);
  }
  return undefined;
}

function positiveInt(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number of at least ${min}, got "${value}"`);
  return n;
}

/** A stack kept running by an earlier --keep, with the ports it holds. */
function keptStack(stateDir: string): StackConfig | undefined {
  const ports = savedPorts(stateDir);
  const kept = ports && { stateDir, ...ports };
  return kept && clusterRunning(kept) ? kept : undefined;
}

const known = new Set(["jobs", "duration", "timeout", "keep", "state-dir", "db-port", "api-port", "runpod-port", "help"]);

export async function parseOptions(args: string[]): Promise<DemoOptions | "help"> {
  for (const arg of args) {
    if (!arg.startsWith("--")) continue;
    const name = arg.slice(2).split("=")[0];
    if (!known.has(name)) throw new Error(`unknown option ${arg}\n${usage}`);
  }
  if (args.includes("--help")) return "help";
  const explicit = resolveConfig(args, {});
  const stateDir = flagValue(args, "state-dir") === undefined ? join(repoRoot, ".pgpod-demo") : explicit.stateDir;
  const stack: StackConfig = { stateDir, dbPort: 0, apiPort: 0, runpodPort: 0 };
  // A stack kept running by an earlier --keep holds its ports: reuse them.
  const kept = keptStack(stateDir);
  const flags = { dbPort: "db-port", apiPort: "api-port", runpodPort: "runpod-port" } as const;
  for (const key of ["dbPort", "apiPort", "runpodPort"] as const) {
    if (flagValue(args, flags[key]) !== undefined) stack[key] = explicit[key];
    else if (kept) stack[key] = kept[key];
    else stack[key] = (await portFree(preferredPorts[key])) ? preferredPorts[key] : await freePort();
  }
  return {
    jobs: positiveInt("jobs", flagValue(args, "jobs"), 300, 10),
    durationS: positiveInt("duration", flagValue(args, "duration"), 20, 1),
    timeoutS: positiveInt("timeout", flagValue(args, "timeout"), 240, 10),
    keep: args.includes("--keep"),
    stack,
  };
}
