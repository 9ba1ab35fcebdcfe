// Serves supabase/functions/<name>/index.ts at /functions/v1/<name>, each in
// its own Deno process, with the env vars the Supabase runtime provides and
// verify_jwt from supabase/config.toml. The gateway owns those processes: one
// per function at a time, started by boot() or on a request, started afresh on
// the next request after one dies, and all ended by close(). New functions
// appear without changing this file.
import { existsSync, readFileSync } from "node:fs";
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import { jwtVerify } from "jose";
import { parse as parseToml } from "smol-toml";
import { edgeFunctions } from "../bin/deno.mjs";
import { startFunctionProcess, type FunctionProcess } from "./function-process.ts";

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

export type FunctionState =
  | { name: string; state: "running"; pid: number; port: number }
  | { name: string; state: "starting" }
  | { name: string; state: "stopped" }
  | { name: string; state: "failed"; error: string };

const slug = /^[A-Za-z][A-Za-z0-9_-]*$/;
// Hop-by-hop headers belong to one connection and are not passed on.
const hopByHop = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te", "trailer"]);

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

/** Waits a moment for a process whose connection failed to be seen exiting, if it is exiting. */
const exitSettled = (fn: FunctionProcess) => Promise.race([fn.exited, new Promise((r) => setTimeout(r, 1000))]);

function passOn(headers: IncomingHttpHeaders, drop: string[] = []): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([key]) => !hopByHop.has(key) && !drop.includes(key)));
}

export function createFunctionsGateway(opts: FunctionsGatewayOptions) {
  const { functionsDir } = opts;
  /** The current process of each function, starting or listening; `settled` once its start has ended. */
  const current = new Map<string, { started: Promise<FunctionProcess>; settled?: FunctionProcess | "failed" }>();
  /** Every process not yet exited, current or not, so close() ends them all. */
  const owned = new Set<FunctionProcess>();
  /** Why each function's last start failed, until one succeeds. */
  const bootErrors = new Map<string, string>();
  const secret = new TextEncoder().encode(opts.jwtSecret);
  let closing = false;

  function verifyJwtFor(name: string): boolean {
    const file = opts.configFile;
    const config = existsSync(file) ? (parseToml(readFileSync(file, "utf8")) as Record<string, unknown>) : {};
    const functions = (config.functions ?? {}) as Record<string, { verify_jwt?: boolean }>;
    return functions[name]?.verify_jwt ?? true;
  }

  async function launch(name: string): Promise<FunctionProcess> {
    const fn = await startFunctionProcess({
      dir: join(functionsDir, name),
      env: { ...opts.env, ...readEnvFile(join(functionsDir, ".env")) },
      onOutput: (line) => opts.log(`[${name}] ${line}`),
    });
    owned.add(fn);
    void fn.exited.then(() => {
      owned.delete(fn);
      opts.log(`[${name}] exited`);
    });
    // closed while the port was being chosen
    if (closing) await fn.stop();
    try {
      await fn.ready;
    } catch (error) {
      bootErrors.set(name, (error as Error).message);
      throw error;
    }
    bootErrors.delete(name);
    opts.log(`[${name}] listening on 127.0.0.1:${fn.port}`);
    return fn;
  }

  /** The function's live process, starting one when there is none; one at a time per function. */
  async function processFor(name: string): Promise<FunctionProcess> {
    const existing = current.get(name);
    if (existing) {
      const fn = await existing.started.catch(() => undefined);
      if (fn?.alive()) return fn;
      // It failed to start or has died since: only the first caller to notice replaces it.
      if (current.get(name) === existing) current.delete(name);
      return processFor(name);
    }
    if (closing) throw new Error("the functions gateway is stopping");
    const entry: { started: Promise<FunctionProcess>; settled?: FunctionProcess | "failed" } = { started: launch(name) };
    entry.started.then((fn) => (entry.settled = fn), () => (entry.settled = "failed"));
    current.set(name, entry);
    return entry.started;
  }

  /**
   * Starts every function once and reports how each start went, whatever
   * requests (a kick, pg_cron) have started since.
   */
  function boot(): Promise<FunctionState[]> {
    return Promise.all(edgeFunctions(functionsDir).map(async (name): Promise<FunctionState> => {
      try {
        const fn = await processFor(name);
        return { name, state: "running", pid: fn.child.pid ?? 0, port: fn.port };
      } catch (error) {
        return { name, state: "failed", error: (error as Error).message };
      }
    }));
  }

  function status(): FunctionState[] {
    return edgeFunctions(functionsDir).map((name): FunctionState => {
      const entry = current.get(name);
      if (entry && !entry.settled) return { name, state: "starting" };
      const fn = entry?.settled;
      if (fn && fn !== "failed" && fn.alive()) return { name, state: "running", pid: fn.child.pid ?? 0, port: fn.port };
      const error = bootErrors.get(name);
      return error ? { name, state: "failed", error } : { name, state: "stopped" };
    });
  }

  /**
   * verify_jwt as Supabase's edge runtime applies it: OPTIONS is never checked,
   * because a browser's CORS preflight carries no Authorization header and the
   * function answers it itself; every other method needs a valid JWT.
   */
  async function authorised(req: IncomingMessage, name: string): Promise<boolean> {
    if (req.method === "OPTIONS" || !verifyJwtFor(name)) return true;
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

  /**
   * Streams the request to the function and its answer back as it comes. An
   * answer the function sends before reading the whole body (a 413, say) is
   * passed on, and the rest of the body is read and dropped. The body is read
   * only once the function has accepted the connection, so a request to a
   * process that has just died can be sent again: that ends as "refused".
   */
  function proxy(req: IncomingMessage, res: ServerResponse, fn: FunctionProcess, path: string): Promise<"done" | "refused"> {
    return new Promise((resolve) => {
      let connected = false;
      const upstream = httpRequest({
        host: "127.0.0.1",
        port: fn.port,
        method: req.method,
        path,
        headers: passOn(req.headers, ["host"]),
        agent: false,
      });
      upstream.once("socket", (socket) => socket.once("connect", () => {
        connected = true;
        req.pipe(upstream);
      }));
      const idle = setTimeout(() => {
        if (!res.headersSent) reply(res, 504, { code: "IDLE_TIMEOUT", message: "Function did not respond in time" });
        upstream.destroy();
      }, opts.idleTimeoutMs ?? 150_000);
      upstream.once("response", (answer) => {
        clearTimeout(idle);
        res.writeHead(answer.statusCode ?? 502, passOn(answer.headers));
        answer.pipe(res);
        answer.once("error", () => res.destroy());
        if (!req.complete) req.unpipe(upstream).resume();
      });
      upstream.once("error", async (error) => {
        clearTimeout(idle);
        if (!connected && !res.headersSent) return resolve("refused");
        // A function that died mid-request is seen as gone before the caller hears of it.
        await exitSettled(fn);
        if (!res.headersSent) {
          reply(res, 502, { code: "FUNCTION_ERROR", message: fn.alive() ? error.message : "Function exited during the request" });
        } else if (!res.writableEnded) {
          res.destroy();
        }
        req.resume();
      });
      res.once("close", () => {
        clearTimeout(idle);
        upstream.destroy();
        resolve("done");
      });
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const name = path.split(/[/?]/)[1] ?? "";
    if (!slug.test(name) || !edgeFunctions(functionsDir).includes(name)) {
      return reply(res, 404, { code: "NOT_FOUND", message: "Requested function was not found" });
    }
    if (!(await authorised(req, name))) {
      return reply(res, 401, { code: "UNAUTHORIZED_INVALID_JWT_FORMAT", message: "Invalid JWT" });
    }
    // A second try when the process refused the connection: it died a moment ago.
    for (let attempt = 1; ; attempt++) {
      let fn: FunctionProcess;
      try {
        fn = await processFor(name);
      } catch (error) {
        return reply(res, 503, { code: "BOOT_ERROR", message: `Function failed to start: ${(error as Error).message}` });
      }
      if ((await proxy(req, res, fn, path)) === "done") return;
      await exitSettled(fn);
      if (attempt === 2 || fn.alive()) {
        return reply(res, 502, { code: "FUNCTION_ERROR", message: "Function refused the connection" });
      }
    }
  }

  async function close(): Promise<void> {
    closing = true;
    const stopAll = () => Promise.all([...owned].map((fn) => fn.stop()));
    await stopAll();
    // Starts under way end once their process has been stopped.
    await Promise.allSettled([...current.values()].map((entry) => entry.started));
    current.clear();
    await stopAll();
  }

  return { handle, boot, status, close };
}
