// Where a local stack lives and how to reach it. Every value can be set by a
// flag or an environment variable, so tests can run a second stack on free
// ports beside the developer's own.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { SignJWT } from "jose";

export const repoRoot = resolve(import.meta.dirname, "..", "..");

export interface StackConfig {
  stateDir: string;
  dbPort: number;
  apiPort: number;
  runpodPort: number;
}

export interface StackEnv {
  SUPABASE_URL: string;
  SUPABASE_DB_URL: string;
  SUPABASE_ANON_KEY: string;
  SUPABASE_SERVICE_ROLE_KEY: string;
  JWT_SECRET: string;
  RUNPOD_EMULATOR_URL: string;
  RUNPOD_API_KEY: string;
  PGPOD_DISPATCH_SECRET: string;
  PGPOD_WEBHOOK_SECRET: string;
}

const defaults = { dbPort: 54322, apiPort: 54321, runpodPort: 54331 };
/** The RunPod URL supabase/seed.sql gives the demo endpoints. */
export const defaultEmulatorUrl = `http://127.0.0.1:${defaults.runpodPort}`;

function port(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new Error(`${name} must be a TCP port (1-65535), got "${value}"`);
  }
  return n;
}

type Ports = Pick<StackConfig, "dbPort" | "apiPort" | "runpodPort">;
const portsFile = (stateDir: string) => join(stateDir, "ports.json");

/** The ports a stack was last started on, so later commands find it without repeating them. */
export function savedPorts(stateDir: string): Ports | undefined {
  return existsSync(portsFile(stateDir)) ? JSON.parse(readFileSync(portsFile(stateDir), "utf8")) : undefined;
}

export function savePorts(config: StackConfig): void {
  const { dbPort, apiPort, runpodPort } = config;
  writeFileSync(portsFile(config.stateDir), JSON.stringify({ dbPort, apiPort, runpodPort }));
}

/**
 * Reads `--db-port 1234` / `--db-port=1234` style flags, falling back to env,
 * then to the ports the stack in that state folder last ran on, then defaults.
 */
export function resolveConfig(args: string[], env: NodeJS.ProcessEnv = process.env): StackConfig {
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--")) continue;
    const eq = arg.indexOf("=");
    if (eq > 0) flags.set(arg.slice(2, eq), arg.slice(eq + 1));
    else if (args[i + 1] !== undefined && !args[i + 1].startsWith("--")) flags.set(arg.slice(2), args[++i]);
  }
  const stateDir = resolve(flags.get("state-dir") || env.PGPOD_STATE_DIR || join(repoRoot, ".pgpod"));
  const fallback = { ...defaults, ...savedPorts(stateDir) };
  return {
    stateDir,
    dbPort: port("--db-port", flags.get("db-port") ?? env.PGPOD_DB_PORT, fallback.dbPort),
    apiPort: port("--api-port", flags.get("api-port") ?? env.PGPOD_API_PORT, fallback.apiPort),
    runpodPort: port("--runpod-port", flags.get("runpod-port") ?? env.PGPOD_RUNPOD_PORT, fallback.runpodPort),
  };
}

/** Random local secrets, made once per state folder and kept there (git-ignored). */
function localSecrets(stateDir: string): Record<string, string> {
  const file = join(stateDir, "secrets.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8"));
  mkdirSync(stateDir, { recursive: true });
  const secret = () => randomBytes(32).toString("base64url");
  const secrets = {
    jwtSecret: secret(),
    runpodApiKey: `rpa_local_${secret()}`,
    dispatchSecret: secret(),
    webhookSecret: secret(),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

export async function signRoleKey(jwtSecret: string, role: "anon" | "service_role"): Promise<string> {
  // Long-lived like the keys `supabase start` prints; iat is fixed so the key is stable.
  return new SignJWT({ role, iss: "supabase-demo" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt(1700000000)
    .setExpirationTime(4102444800)
    .sign(new TextEncoder().encode(jwtSecret));
}

export async function stackEnv(config: StackConfig): Promise<StackEnv> {
  const s = localSecrets(config.stateDir);
  return {
    SUPABASE_URL: `http://127.0.0.1:${config.apiPort}`,
    SUPABASE_DB_URL: `postgresql://postgres:postgres@127.0.0.1:${config.dbPort}/postgres`,
    SUPABASE_ANON_KEY: await signRoleKey(s.jwtSecret, "anon"),
    SUPABASE_SERVICE_ROLE_KEY: await signRoleKey(s.jwtSecret, "service_role"),
    JWT_SECRET: s.jwtSecret,
    RUNPOD_EMULATOR_URL: `http://127.0.0.1:${config.runpodPort}`,
    RUNPOD_API_KEY: s.runpodApiKey,
    PGPOD_DISPATCH_SECRET: s.dispatchSecret,
    PGPOD_WEBHOOK_SECRET: s.webhookSecret,
  };
}
