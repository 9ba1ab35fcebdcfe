// The parent's side of a bench worker process (bench/workers/main.ts): starts
// it, waits until it is loaded and ready, then asks it to handle one step at a
// time and turns its marks into a steady-state rate.
import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "../local/stack/config.ts";
import type { ChildMessage, Mark, ParentMessage, WorkerKind } from "./workers/progress.ts";

export interface StepResult {
  /** Jobs the worker handled; all of the step's unless it timed out (or, on a shared stack, others took some). */
  handled: number;
  /** Jobs per second between a tenth and nine tenths of the step: start-up and tail left out. */
  steadyPerS: number | null;
  /** From "go" to the last job handled, start-up included. */
  totalMs: number;
}

const tsxLoader = pathToFileURL(join(repoRoot, "node_modules", "tsx", "dist", "loader.mjs")).href;
const entry = join(repoRoot, "bench", "workers", "main.ts");

/** Rate between the first mark at or past 10 % and the last at or before 90 %. */
export function steadyRate(marks: (Mark | null)[]): number | null {
  const from = marks[1];
  const to = marks[9];
  if (!from || !to || to.at <= from.at) return null;
  return ((to.count - from.count) * 1000) / (to.at - from.at);
}

export class WorkerProcess {
  private pending: { resolve: (m: ChildMessage) => void; reject: (e: Error) => void } | null = null;
  private exited: Error | null = null;

  private constructor(readonly kind: WorkerKind, private readonly child: ChildProcess) {
    child.on("message", (message: ChildMessage) => {
      const pending = this.pending;
      this.pending = null;
      pending?.resolve(message);
    });
    child.on("exit", (code, signal) => {
      this.exited = new Error(`${kind} worker process exited (${signal ?? code})`);
      this.pending?.reject(this.exited);
      this.pending = null;
    });
  }

  private next(): Promise<ChildMessage> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => (this.pending = { resolve, reject }));
  }

  static async start(kind: WorkerKind, options: object): Promise<WorkerProcess> {
    const child = fork(entry, [kind, JSON.stringify(options)], {
      execArgv: ["--import", tsxLoader],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const worker = new WorkerProcess(kind, child);
    const first = await worker.next();
    if (first.type !== "ready") throw new Error(`${kind} worker process did not start: ${JSON.stringify(first)}`);
    return worker;
  }

  async process(jobs: number, timeoutMs: number): Promise<StepResult> {
    const answer = this.next();
    const go: ParentMessage = { type: "go", jobs, timeoutMs };
    const startedAt = performance.timeOrigin + performance.now();
    this.child.send(go);
    const message = await answer;
    if (message.type === "failed") throw new Error(`${this.kind} worker: ${message.error}`);
    if (message.type !== "done") throw new Error(`${this.kind} worker answered ${message.type}`);
    const last = message.marks.filter((m): m is Mark => m !== null).at(-1);
    return { handled: message.handled, steadyPerS: steadyRate(message.marks), totalMs: (last?.at ?? message.finishedAt) - startedAt };
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.send({ type: "exit" } satisfies ParentMessage);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await gone;
    clearTimeout(timer);
  }
}
