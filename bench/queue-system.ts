// What the queue section asks of each system it compares: enqueue jobs one
// call at a time from C clients, enqueue more in one call, and have its
// worker process handle all of them.
import type { Sql } from "./context.ts";
import type { StepResult } from "./worker-process.ts";

export interface QueueSystem {
  /** e.g. "graphile-worker 0.18.0 (best)". */
  name: string;
  /** How its worker is configured, for the notes. */
  description: string;
  /** A connection to the database its tables are in, for write snapshots. */
  statsSql: Sql;
  enqueueSingle(jobs: number): Promise<number>;
  enqueueBulk(jobs: number): Promise<number>;
  /** Handles all `jobs` queued jobs in the worker process, then checks the queue is empty. */
  process(jobs: number): Promise<StepResult>;
  close(): Promise<void>;
}
