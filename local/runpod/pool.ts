import type { Timers } from "./timers.ts";

export type WorkerState = "off" | "initializing" | "idle" | "running";

export interface PoolWorker {
  readonly id: string;
  state: WorkerState;
  cancelTimer?: () => void;
}

export interface PoolSettings {
  workers: number;
  coldStartMs: number;
  idleTimeoutMs: number;
}

/**
 * The workers of one endpoint: they start cold (coldStartMs), stay warm for
 * idleTimeoutMs after their last job, then shut down again.
 */
export class WorkerPool {
  readonly workers: PoolWorker[];

  constructor(
    endpointId: string,
    private readonly settings: PoolSettings,
    private readonly timers: Timers,
    /** Called whenever a worker becomes idle, so queued jobs can be picked up. */
    private readonly onIdle: () => void,
    private readonly onColdStart: () => void,
  ) {
    this.workers = Array.from({ length: settings.workers }, (_, i) => ({ id: `${endpointId}-w${i + 1}`, state: "off" }));
  }

  takeIdle(): PoolWorker | undefined {
    const worker = this.workers.find((w) => w.state === "idle");
    if (!worker) return undefined;
    worker.cancelTimer?.();
    worker.state = "running";
    return worker;
  }

  /** Starts enough cold workers that `demand` jobs will find one (beyond those already starting). */
  scaleUp(demand: number): void {
    let missing = demand - this.count("initializing");
    for (const worker of this.workers) {
      if (missing <= 0) return;
      if (worker.state !== "off") continue;
      missing--;
      worker.state = "initializing";
      this.onColdStart();
      worker.cancelTimer = this.timers.after(this.settings.coldStartMs, () => this.becomeIdle(worker));
    }
  }

  /** The worker finished its job and is ready for the next one. */
  release(worker: PoolWorker): void {
    if (worker.state === "running") this.becomeIdle(worker);
  }

  /** The worker is stopped (its job timed out or was cancelled); it will need a cold start. */
  stop(worker: PoolWorker): void {
    worker.cancelTimer?.();
    worker.state = "off";
  }

  stopAll(): void {
    for (const worker of this.workers) this.stop(worker);
  }

  count(state: WorkerState): number {
    return this.workers.filter((w) => w.state === state).length;
  }

  private becomeIdle(worker: PoolWorker): void {
    worker.state = "idle";
    worker.cancelTimer = this.timers.after(this.settings.idleTimeoutMs, () => {
      worker.state = "off";
    });
    this.onIdle();
  }
}
