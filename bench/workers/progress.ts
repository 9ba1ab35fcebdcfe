// Counts the jobs a worker process handled and notes when each tenth of the
// step was reached, on a clock every process shares, so the parent can time
// the steady part of a step without its start-up and its tail.

/** Milliseconds since the epoch, with the sub-millisecond part. */
export const clock = () => performance.timeOrigin + performance.now();

export interface Mark {
  /** Jobs handled when the mark was taken (a batch can overshoot a tenth). */
  count: number;
  at: number;
}

export class Progress {
  handled = 0;
  /** marks[k] is taken when handled first reaches k tenths of the step. */
  readonly marks: (Mark | null)[] = Array.from({ length: 11 }, () => null);
  private readonly reached: Promise<void>;
  private resolveReached!: () => void;

  constructor(readonly jobs: number) {
    this.reached = new Promise((resolve) => (this.resolveReached = resolve));
    this.marks[0] = { count: 0, at: clock() };
    if (jobs === 0) this.resolveReached();
  }

  add(n: number): void {
    this.handled += n;
    const at = clock();
    for (let k = 1; k <= 10; k++) {
      if (this.marks[k] === null && this.handled * 10 >= this.jobs * k) this.marks[k] = { count: this.handled, at };
    }
    if (this.handled >= this.jobs) this.resolveReached();
  }

  /** Resolves once every job of the step was handled, or after `ms`. */
  async done(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    try {
      return await Promise.race([this.reached.then(() => true), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** What a worker process does on each "go": handle `progress.jobs` jobs, adding to `progress` as it goes. */
export interface BenchWorker {
  process(progress: Progress, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export type WorkerKind = "pgpod" | "graphile-worker" | "pg-boss";

export type ParentMessage = { type: "go"; jobs: number; timeoutMs: number } | { type: "exit" };
export type ChildMessage =
  | { type: "ready" }
  | { type: "done"; handled: number; marks: (Mark | null)[]; finishedAt: number }
  | { type: "failed"; error: string };
