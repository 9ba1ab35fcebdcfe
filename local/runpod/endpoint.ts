import { randomUUID } from "node:crypto";
import type { EmulatorSettings, EndpointConfig, FaultSettings } from "./config.ts";
import type { Counters } from "./counters.ts";
import type { Dice } from "./dice.ts";
import { runHandler, type Handler, type HandlerOutcome } from "./handlers.ts";
import { isTerminal, type Job, type TerminalStatus } from "./jobs.ts";
import { WorkerPool, type PoolWorker } from "./pool.ts";
import type { Timers } from "./timers.ts";

export interface SubmitRequest {
  input: unknown;
  webhook?: string;
  policy?: { executionTimeout?: number; ttl?: number; lowPriority?: boolean };
}

export interface EndpointDeps {
  id: string;
  config: EndpointConfig;
  handler: Handler;
  settings: () => EmulatorSettings;
  faults: () => FaultSettings;
  counters: Counters;
  dice: Dice;
  timers: Timers;
  /** Called once each time a job reaches a terminal state (not when it is deleted). */
  onTerminal: (job: Job) => void;
}

type Finish = { status: TerminalStatus; output?: unknown; error?: string };

/** One endpoint: its jobs, their FIFO queue and lifecycle, and its worker pool. */
export class Endpoint {
  private readonly jobs = new Map<string, Job>();
  private readonly queue: Job[] = [];
  private readonly running = new Map<string, { worker: PoolWorker; controller: AbortController }>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly pool: WorkerPool;

  constructor(private readonly deps: EndpointDeps) {
    this.pool = new WorkerPool(deps.id, deps.config, deps.timers, () => this.pump(), () => deps.counters.workerColdStarts++);
  }

  /** Accepts a job; the lose-queued-job fault accepts it and then forgets it. */
  submit(request: SubmitRequest, kind: Job["kind"]): Job {
    const bounds = this.deps.settings().policy;
    const policy = request.policy ?? {};
    const job: Job = {
      id: `${kind === "runsync" ? "sync-" : ""}${randomUUID()}-e1`,
      endpointId: this.deps.id,
      kind,
      input: request.input,
      webhook: request.webhook,
      lowPriority: policy.lowPriority === true,
      executionTimeoutMs: clamp(policy.executionTimeout ?? this.deps.config.executionTimeoutMs, bounds.minExecutionTimeoutMs, bounds.maxMs),
      ttlMs: clamp(policy.ttl ?? bounds.defaultTtlMs, bounds.minTtlMs, bounds.maxMs),
      status: "IN_QUEUE",
      queuedAt: Date.now(),
      timers: {},
    };
    this.deps.counters.jobsSubmitted++;
    if (this.deps.dice.chance(this.deps.faults().loseQueuedRate)) {
      this.deps.counters.faultJobsLost++;
      return job;
    }
    this.jobs.set(job.id, job);
    this.enqueue(job);
    return job;
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  cancel(id: string): Job | undefined {
    const job = this.jobs.get(id);
    if (job?.status === "IN_QUEUE") {
      this.queue.splice(this.queue.indexOf(job), 1);
      this.finish(job, { status: "CANCELLED" });
    } else if (job?.status === "IN_PROGRESS") {
      this.stopRunning(job, { status: "CANCELLED" });
    }
    return job;
  }

  /** Requeues a FAILED or TIMED_OUT job under the same id; "not-retryable" for any other state. */
  retry(id: string): Job | "not-retryable" | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    if (job.status !== "FAILED" && job.status !== "TIMED_OUT") return "not-retryable";
    for (const key of ["startedAt", "finishedAt", "output", "error", "resultTtlMs"] as const) delete job[key];
    this.deps.counters.jobsRetried++;
    this.enqueue(job);
    return job;
  }

  /** Removes every queued job; running ones are left alone. */
  purgeQueue(): number {
    const purged = this.queue.splice(0);
    for (const job of purged) this.remove(job);
    this.deps.counters.jobsPurged += purged.length;
    return purged.length;
  }

  /** GET /status?ttl=: keep this job's result for ms after it ends, instead of the retention window. */
  setResultTtl(job: Job, ms: number): void {
    job.resultTtlMs = ms;
    if (isTerminal(job.status)) this.scheduleRetention(job);
  }

  /** Resolves when the job ends or is deleted, or after ms. */
  waitForEnd(job: Job, ms: number): Promise<void> {
    if (isTerminal(job.status) || !this.jobs.has(job.id)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiting = this.waiters.get(job.id) ?? new Set();
      this.waiters.set(job.id, waiting);
      const done = () => {
        cancel();
        waiting.delete(done);
        resolve();
      };
      const cancel = this.deps.timers.after(ms, done, done);
      waiting.add(done);
    });
  }

  health() {
    const c = this.deps.counters;
    return {
      jobs: {
        completed: c.jobsCompleted,
        failed: c.jobsFailed,
        inProgress: this.running.size,
        inQueue: this.queue.length,
        retried: c.jobsRetried,
      },
      workers: {
        idle: this.pool.count("idle"),
        initializing: this.pool.count("initializing"),
        running: this.pool.count("running"),
      },
    };
  }

  /** Aborts running handlers and shuts every worker down; the emulator clears the timers. */
  close(): void {
    for (const { controller } of this.running.values()) controller.abort();
    this.running.clear();
    this.pool.stopAll();
  }

  private enqueue(job: Job): void {
    this.clearTimers(job);
    job.status = "IN_QUEUE";
    job.queuedAt = Date.now();
    job.timers.ttl = this.deps.timers.after(job.ttlMs, () => this.expire(job));
    this.queue.push(job);
    this.pump();
  }

  /** Hands queued jobs to idle workers; low-priority jobs wait for warm workers and never start cold ones. */
  private pump(): void {
    while (this.queue.length > 0) {
      const worker = this.pool.takeIdle();
      if (!worker) break;
      const next = this.queue.findIndex((j) => !j.lowPriority);
      const [job] = this.queue.splice(next === -1 ? 0 : next, 1);
      this.start(job, worker);
    }
    this.pool.scaleUp(this.queue.filter((j) => !j.lowPriority).length);
  }

  private start(job: Job, worker: PoolWorker): void {
    job.status = "IN_PROGRESS";
    job.startedAt = Date.now();
    const controller = new AbortController();
    this.running.set(job.id, { worker, controller });
    job.timers.execution = this.deps.timers.after(job.executionTimeoutMs, () => this.stopRunning(job, { status: "TIMED_OUT" }));
    const handlerJob = { id: job.id, input: job.input, signal: controller.signal, chance: (share: number) => this.deps.dice.chance(share) };
    void runHandler(this.deps.handler, handlerJob, worker.id).then(
      (outcome: HandlerOutcome) => {
        // The job may have been cancelled, timed out or expired while the handler ran.
        if (this.running.get(job.id)?.controller !== controller) return;
        this.running.delete(job.id);
        this.finish(job, outcome);
        this.pool.release(worker);
      },
    );
  }

  /** Ends a running job from outside its handler; the cloud stops the worker, so the next job pays a cold start. */
  private stopRunning(job: Job, result: Finish): void {
    this.stopHandler(job);
    this.finish(job, result);
    this.pump();
  }

  private stopHandler(job: Job): void {
    const entry = this.running.get(job.id);
    if (!entry) return;
    this.running.delete(job.id);
    entry.controller.abort();
    this.pool.stop(entry.worker);
  }

  private finish(job: Job, result: Finish): void {
    const { counters, faults, dice } = this.deps;
    job.timers.execution?.();
    job.status = result.status;
    // Node's timers run on the loop's cached clock and can fire a millisecond
    // before Date.now() says the timeout has passed; a timed-out job ran its whole timeout.
    job.finishedAt = result.status === "TIMED_OUT" ? Math.max(Date.now(), job.startedAt! + job.executionTimeoutMs) : Date.now();
    job.output = result.output;
    job.error = result.error;
    if (job.status === "COMPLETED" && dice.chance(faults().completedWithoutOutputRate)) {
      counters.faultCompletedWithoutOutput++;
      delete job.output;
    }
    const counter = ({ COMPLETED: "jobsCompleted", FAILED: "jobsFailed", CANCELLED: "jobsCancelled", TIMED_OUT: "jobsTimedOut" } as const)[job.status];
    counters[counter]++;
    this.scheduleRetention(job);
    this.wake(job);
    this.deps.onTerminal(job);
  }

  private scheduleRetention(job: Job): void {
    const retention = this.deps.settings().retention;
    job.timers.retention?.();
    const ms = job.resultTtlMs ?? (job.kind === "run" ? retention.runMs : retention.runsyncMs);
    job.timers.retention = this.deps.timers.after(ms, () => {
      this.deps.counters.resultsExpired++;
      this.remove(job);
    });
  }

  /** ttl is the job's whole lifespan: it is deleted whatever its state. */
  private expire(job: Job): void {
    this.deps.counters.jobsExpiredTtl++;
    this.stopHandler(job);
    this.remove(job);
    this.pump();
  }

  private remove(job: Job): void {
    this.clearTimers(job);
    this.jobs.delete(job.id);
    const queued = this.queue.indexOf(job);
    if (queued !== -1) this.queue.splice(queued, 1);
    this.wake(job);
  }

  private clearTimers(job: Job): void {
    for (const cancel of Object.values(job.timers)) cancel?.();
    job.timers = {};
  }

  private wake(job: Job): void {
    for (const done of [...(this.waiters.get(job.id) ?? [])]) done();
    this.waiters.delete(job.id);
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
