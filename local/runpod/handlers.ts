import { hostname } from "node:os";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { demoWorkers } from "./workers/index.ts";

/** What a handler receives. signal aborts when the job is cancelled, times out, expires or the emulator closes. */
export interface HandlerJob {
  id: string;
  input: unknown;
  signal: AbortSignal;
  /**
   * True with probability share (0..1), from the emulator's dice: with a
   * configured seed, a handler that rolls only through this is reproducible.
   */
  chance(share: number): boolean;
}
export type Handler = (job: HandlerJob) => unknown | Promise<unknown>;

export type HandlerOutcome = { status: "COMPLETED"; output: unknown } | { status: "FAILED"; error: string; output?: unknown };

/** A demo worker name, or a module path (relative to baseDir) whose default export is the handler. */
export async function loadHandler(spec: string, baseDir: string): Promise<Handler> {
  const demo = demoWorkers[spec];
  if (demo) return demo;
  const file = isAbsolute(spec) ? spec : resolve(baseDir, spec);
  const module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  if (typeof module.default !== "function") {
    throw new Error(`handler "${spec}" is neither a demo worker (${Object.keys(demoWorkers).join(", ")}) nor a module with a default export function`);
  }
  return module.default as Handler;
}

/**
 * Runs a handler the way runpod-python's worker does: a throw becomes FAILED
 * with a JSON error string, and a returned `{ error: "<string>", ...rest }`
 * becomes FAILED with the rest kept as output.
 */
export async function runHandler(handler: Handler, job: HandlerJob, workerId: string): Promise<HandlerOutcome> {
  let result: unknown;
  try {
    result = await handler(job);
  } catch (err) {
    return { status: "FAILED", error: cloudErrorString(err, workerId) };
  }
  if (isRecord(result) && typeof result.error === "string") {
    const { error, ...rest } = result;
    return Object.keys(rest).length > 0 ? { status: "FAILED", error, output: rest } : { status: "FAILED", error };
  }
  return { status: "COMPLETED", output: result };
}

function cloudErrorString(err: unknown, workerId: string): string {
  const error = err instanceof Error ? err : new Error(String(err));
  return JSON.stringify({
    error_type: `<class '${error.name}'>`,
    error_message: error.message,
    error_traceback: error.stack ?? "",
    hostname: hostname(),
    worker_id: workerId,
    runpod_version: "emulator",
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
