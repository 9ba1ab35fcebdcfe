// Serves supabase/functions/<name>/index.ts at /functions/v1/<name>, each in
// its own Deno process started on first request (and again after a crash),
// with the env vars the Supabase runtime provides and verify_jwt from
// supabase/config.toml. New functions appear without changing this file.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { Readable } from "node:stream";
import { jwtVerify } from "jose";
import { parse as parseToml } from "smol-toml";
import { freePort, waitForPort } from "../stack/ports.ts";

export interface FunctionsGatewayOptions {
  /** Folder holding one sub-folder per function (supabase/functions). */
  functionsDir: string;
  /** supabase/config.toml, read on every request so verify_jwt edits apply at once. */
  configFile: string;
  env: Record<string, string>;
  jwtSecret: string;
  log: (line: string) => void;
  /** 150 s on Supabase; tests shorten it. */
  idleTimeoutMs?: number;
}

interface RunningFunction {
  child: ChildProcess;
  port: number;
  ready: Promise<void>;
}

const slug = /^[A-Za-z][A-Za-z0-9_-]*$/;
// Supabase's limits: 256 MB per function, and a request that sends no
// response within 150 s gets a 504.
const memoryLimitMb = 256;
const repoRoot = join(import.meta.dirname, "..", "..");
const denoBin = join(repoRoot, "node_modules", ".bin", "deno");
const denoEntry = join(import.meta.dirname, "deno-entry.ts");

/** The env file Supabase loads for every function, as KEY=value lines. */
function readEnvFile(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/.exec(line);
    if (match) env[match[1]] = match[2].replace(/^(['"])(.*)\1$/, "$2");
  }
  return env;
}

export function createFunctionsGateway(opts: FunctionsGatewayOptions) {
  const { functionsDir } = opts;
  const running = new Map<string, RunningFunction>();
  const secret = new TextEncoder().encode(opts.jwtSecret);

  function verifyJwtFor(name: string): boolean {
    const file = opts.configFile;
    const config = existsSync(file) ? (parseToml(readFileSync(file, "utf8")) as Record<string, unknown>) : {};
    const functions = (config.functions ?? {}) as Record<string, { verify_jwt?: boolean }>;
    return functions[name]?.verify_jwt ?? true;
  }

  function start(name: string): RunningFunction {
    const dir = join(functionsDir, name);
    const config = join(dir, "deno.json");
    const portPromise = freePort();
    const entry: RunningFunction = { child: undefined as unknown as ChildProcess, port: 0, ready: Promise.resolve() };
    entry.ready = portPromise.then(async (port) => {
      // Supabase gives each function 256 MB; a function that needs more fails here too.
      const args = ["run", "--allow-net", "--allow-env", "--allow-read", "--allow-write=/tmp", "--no-prompt",
        `--v8-flags=--max-old-space-size=${memoryLimitMb}`];
      if (existsSync(config)) args.push("--config", config);
      args.push(denoEntry);
      const child = spawn(denoBin, args, {
        cwd: dir,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "/tmp",
          DENO_NO_UPDATE_CHECK: "1",
          ...opts.env,
          ...readEnvFile(join(functionsDir, ".env")),
          PGPOD_FUNCTION_PORT: String(port),
          PGPOD_FUNCTION_ENTRY: join(dir, "index.ts"),
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      entry.child = child;
      entry.port = port;
      const relay = (chunk: Buffer) => {
        for (const line of chunk.toString().split("\n")) if (line.trim()) opts.log(`[${name}] ${line}`);
      };
      child.stdout?.on("data", relay);
      child.stderr?.on("data", relay);
      child.once("exit", (code, signal) => {
        opts.log(`[${name}] exited (${signal ?? code})`);
        if (running.get(name) === entry) running.delete(name);
      });
      await waitForPort(port, 60_000, () => (child.exitCode !== null ? `exited with code ${child.exitCode} before listening` : undefined));
      opts.log(`[${name}] listening on 127.0.0.1:${port}`);
    });
    entry.ready.catch(() => running.delete(name));
    running.set(name, entry);
    return entry;
  }

  async function authorised(req: IncomingMessage, name: string): Promise<boolean> {
    if (!verifyJwtFor(name)) return true;
    const token = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    if (!token) return false;
    try {
      await jwtVerify(token, secret, { algorithms: ["HS256"] });
      return true;
    } catch {
      return false;
    }
  }

  function reply(res: ServerResponse, status: number, body: unknown) {
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  }

  async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const name = path.split(/[/?]/)[1] ?? "";
    if (!slug.test(name) || name.startsWith("_") || !existsSync(join(functionsDir, name, "index.ts"))) {
      return reply(res, 404, { code: "NOT_FOUND", message: "Requested function was not found" });
    }
    if (!(await authorised(req, name))) {
      return reply(res, 401, { code: "UNAUTHORIZED_INVALID_JWT_FORMAT", message: "Invalid JWT" });
    }
    const fn = running.get(name) ?? start(name);
    try {
      await fn.ready;
    } catch (error) {
      return reply(res, 503, { code: "BOOT_ERROR", message: `Function failed to start: ${(error as Error).message}` });
    }
    const headers = new Headers();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value === undefined || key === "host" || key === "connection") continue;
      headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    try {
      const upstream = await fetch(`http://127.0.0.1:${fn.port}${path}`, {
        method: req.method,
        headers,
        body: hasBody ? (Readable.toWeb(req) as ReadableStream) : undefined,
        // @ts-expect-error Node's fetch needs this to stream a request body.
        duplex: "half",
        redirect: "manual",
        signal: AbortSignal.timeout(opts.idleTimeoutMs ?? 150_000),
      });
      const outHeaders: Record<string, string> = {};
      upstream.headers.forEach((value, key) => {
        if (key !== "content-encoding" && key !== "transfer-encoding" && key !== "connection") outHeaders[key] = value;
      });
      res.writeHead(upstream.status, outHeaders);
      if (upstream.body) for await (const chunk of upstream.body) res.write(chunk);
      res.end();
    } catch (error) {
      const timedOut = (error as Error).name === "TimeoutError";
      if (!res.headersSent && timedOut) reply(res, 504, { code: "IDLE_TIMEOUT", message: "Function did not respond in time" });
      else if (!res.headersSent) reply(res, 502, { code: "FUNCTION_ERROR", message: (error as Error).message });
      else res.destroy();
    }
  }

  async function close(): Promise<void> {
    const exits = [...running.values()].map(
      (fn) =>
        new Promise<void>((resolve) => {
          if (!fn.child || fn.child.exitCode !== null) return resolve();
          fn.child.once("exit", () => resolve());
          fn.child.kill("SIGTERM");
          setTimeout(() => fn.child.kill("SIGKILL"), 3000).unref();
        }),
    );
    running.clear();
    await Promise.all(exits);
  }

  return { handle, close };
}
