// One Edge Function in its own Deno process, run the way the Supabase runtime
// runs it: 256 MB, network and env access, /tmp writable, its deno.json, and
// only the dependencies installed at setup (--cached-only, so a missing
// install fails at boot with Deno's own message instead of downloading).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { denoBin, denoEnv } from "../bin/deno.mjs";
import { freePort, waitForPort } from "../stack/ports.ts";

// Supabase's limit per function; a function that needs more fails here too.
const memoryLimitMb = 256;
const denoEntry = join(import.meta.dirname, "deno-entry.ts");
const keptOutputLines = 40;

export interface FunctionProcessOptions {
  /** The function's folder, holding index.ts and optionally deno.json. */
  dir: string;
  /** The variables the function sees besides Deno's own (see denoEnv). */
  env: Record<string, string>;
  /** Each line the function prints. */
  onOutput?: (line: string) => void;
  /** How long it may take to listen; 60 s unless told. */
  bootTimeoutMs?: number;
}

export interface FunctionProcess {
  child: ChildProcess;
  port: number;
  /** Resolves once the function listens; rejects with its exit reason and output when it cannot. */
  ready: Promise<void>;
  /** Resolves when the process has exited, however it ended. */
  exited: Promise<void>;
  alive(): boolean;
  /** The last lines it printed. */
  output(): string;
  /** SIGTERM, then SIGKILL after 3 s; resolves once it has exited. */
  stop(): Promise<void>;
}

export async function startFunctionProcess(opts: FunctionProcessOptions): Promise<FunctionProcess> {
  const port = await freePort();
  const config = join(opts.dir, "deno.json");
  const args = ["run", "--cached-only", "--allow-net", "--allow-env", "--allow-read", "--allow-write=/tmp", "--no-prompt",
    `--v8-flags=--max-old-space-size=${memoryLimitMb}`];
  if (existsSync(config)) args.push("--frozen-lockfile", "--config", config);
  args.push(denoEntry);
  const child = spawn(denoBin, args, {
    cwd: opts.dir,
    env: { ...denoEnv(), ...opts.env, PGPOD_FUNCTION_PORT: String(port), PGPOD_FUNCTION_ENTRY: join(opts.dir, "index.ts") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n")) {
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length > keptOutputLines) lines.shift();
      opts.onOutput?.(line);
    }
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let exitReason: string | undefined;
  const exited = new Promise<void>((resolve) => {
    // "close" comes after the exit and the last of its output.
    child.once("close", (code, signal) => {
      exitReason = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      resolve();
    });
    child.once("error", (error) => {
      exitReason = `could not be started: ${error.message}`;
      resolve();
    });
  });
  const output = () => lines.join("\n");
  const alive = () => exitReason === undefined;
  const stop = async () => {
    if (!alive()) return;
    child.kill("SIGTERM");
    const force = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(force);
  };
  const ready = waitForPort(port, opts.bootTimeoutMs ?? 60_000, () => exitReason && `${exitReason} before listening`).catch(
    async (error: Error) => {
      await stop();
      throw new Error(`${error.message}${lines.length > 0 ? `:\n${output()}` : " (it printed nothing)"}`);
    },
  );
  return { child, port, ready, exited, alive, output, stop };
}
