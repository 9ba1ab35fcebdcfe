// How pgpod runs Deno for the Edge Functions: the binary from node_modules,
// the functions it serves, and the environment every Deno process gets. Node
// built-ins only: run.mjs uses it before anything else is installed.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const denoBin = join(root, "node_modules", ".bin", "deno");
export const functionsDir = join(root, "supabase", "functions");

/** The functions served at /functions/v1/<name>: folders with an index.ts, `_shared` and the like excluded. */
export function edgeFunctions(dir = functionsDir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => !name.startsWith("_") && !name.startsWith(".") && existsSync(join(dir, name, "index.ts")))
    .sort();
}

/** Passed through as they are: where Deno keeps its cache, proxies, and trust stores Deno reads itself. */
const passedThrough = [
  "DENO_DIR", "XDG_CACHE_HOME", "DENO_TLS_CA_STORE", "NODE_EXTRA_CA_CERTS", "NPM_CONFIG_REGISTRY",
  "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
];

/**
 * The environment of a Deno process: no more of this machine's environment
 * than Deno needs to reach the npm registry the way npm does. Deno reads an
 * extra CA only from DENO_CERT, so the variables Node, OpenSSL and npm use for
 * one are mapped onto it; npm's own proxy settings fill in the usual proxy
 * variables when those are unset.
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {Record<string, string>}
 */
export function denoEnv(env = process.env) {
  /** @type {Record<string, string>} */
  const out = { PATH: env.PATH ?? "", HOME: env.HOME ?? "/tmp", DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };
  for (const key of passedThrough) {
    const value = env[key];
    if (value) out[key] = value;
  }
  const cert = env.DENO_CERT || env.NODE_EXTRA_CA_CERTS || env.SSL_CERT_FILE || env.npm_config_cafile;
  if (cert) out.DENO_CERT = cert;
  const fromNpm = { HTTPS_PROXY: env.npm_config_https_proxy, HTTP_PROXY: env.npm_config_proxy, NO_PROXY: env.npm_config_noproxy };
  for (const [key, value] of Object.entries(fromNpm)) {
    if (value && !out[key] && !out[key.toLowerCase()]) out[key] = value;
  }
  if (!out.NPM_CONFIG_REGISTRY && env.npm_config_registry) out.NPM_CONFIG_REGISTRY = env.npm_config_registry;
  return out;
}

/**
 * `deno install` of one function's imports, from its deno.json and deno.lock.
 * @param {string} name @param {string} dir @param {boolean} cachedOnly
 */
function installArgs(name, dir, cachedOnly) {
  const fnDir = join(dir, name);
  const config = join(fnDir, "deno.json");
  return [
    "install", "--quiet", "--frozen-lockfile", ...(cachedOnly ? ["--cached-only"] : []),
    ...(existsSync(config) ? ["--config", config] : []), "--entrypoint", join(fnDir, "index.ts"),
  ];
}

/**
 * Installs every function's Deno dependencies into the Deno cache, so no
 * function downloads anything when it starts. Already-cached functions cost a
 * quick check. Returns the functions it had to install, and the one that
 * failed (its output went to this process's stderr).
 * @param {{ dir?: string, env?: NodeJS.ProcessEnv, onInstall?: (names: string[]) => void }} [options]
 * @returns {{ installed: string[], failed?: string }}
 */
export function installFunctionDependencies(options = {}) {
  const dir = options.dir ?? functionsDir;
  const env = denoEnv(options.env);
  /** @param {string[]} args @param {import("node:child_process").StdioOptions} stdio */
  const deno = (args, stdio) => spawnSync(denoBin, args, { cwd: root, env, stdio }).status === 0;
  const missing = edgeFunctions(dir).filter((name) => !deno(installArgs(name, dir, true), "ignore"));
  if (missing.length > 0) options.onInstall?.(missing);
  for (const name of missing) {
    if (!deno(installArgs(name, dir, false), ["ignore", "inherit", "inherit"])) return { installed: missing, failed: name };
  }
  return { installed: missing };
}
