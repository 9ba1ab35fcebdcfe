// pgpod's processing as production runs it, minus HTTP, through the Edge
// Functions' own database layer (supabase/functions/_shared/db.ts): dispatcher
// instances that each loop dispatchable_endpoints → claim_runs → mark_submitted
// and hand the runs on, and webhook instances that record deliveries as they
// arrive, several in flight at once: run_context, then the webhook's group
// commit (deliveries within a few milliseconds share one complete_runs call).
// Each instance has its own connection pool, as each function instance does,
// so claiming, marking and completing overlap.
import { batcher } from "../../supabase/functions/_shared/batcher.ts";
import { deliveryWithoutFiles, recordDeliveries } from "../../supabase/functions/_shared/completion.ts";
import { defaultLimits } from "../../supabase/functions/_shared/config.ts";
import { type CompleteSummary, type Delivery, type PgpodDb, pgpodDb } from "../../supabase/functions/_shared/db.ts";
import type { BenchWorker } from "./progress.ts";

interface ClaimedRun {
  run_id: string;
  attempt: number;
}

export interface PgpodWorkerOptions {
  dbUrl: string;
  endpoint: string;
  /** Dispatcher invocations claiming at the same time. */
  dispatchers: number;
  /** Webhook function instances. */
  webhookInstances: number;
  /** Deliveries each webhook instance has in flight. */
  deliveriesPerInstance: number;
  runsPerClaim: number;
}

/** Claimed runs waiting for their webhook delivery, until the dispatchers are done. */
class Handoff {
  private readonly runs: ClaimedRun[] = [];
  private readonly waiting: ((run: ClaimedRun | null) => void)[] = [];
  private closed = false;

  push(runs: ClaimedRun[]) {
    for (const run of runs) {
      const waiter = this.waiting.shift();
      if (waiter) waiter(run);
      else this.runs.push(run);
    }
  }

  close() {
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter(null);
  }

  next(): Promise<ClaimedRun | null> {
    const run = this.runs.shift();
    if (run) return Promise.resolve(run);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

const runpodJobId = (run: ClaimedRun) => `bench-${run.run_id}`;

export function pgpodWorker(raw: Record<string, unknown>): BenchWorker {
  const options = raw as unknown as PgpodWorkerOptions;
  return {
    async process(progress, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const handoff = new Handoff();
      const dispatchers = Array.from({ length: options.dispatchers }, () => pgpodDb(options.dbUrl, "bench pgpod-dispatch"));
      const webhooks = Array.from({ length: options.webhookInstances }, () => pgpodDb(options.dbUrl, "bench pgpod-webhook"));
      const dispatch = async (db: PgpodDb) => {
        while (Date.now() < deadline) {
          await db.dispatchableEndpoints();
          const runs = await db.claimRuns(options.endpoint, options.runsPerClaim);
          if (runs.length === 0) return;
          await db.markSubmitted(runs.map((r) => ({ run_id: r.run_id, attempt: r.attempt, runpod_job_id: runpodJobId(r) })));
          handoff.push(runs);
        }
      };
      const limits = { maxSize: defaultLimits.completionBatchSize, maxWaitMs: defaultLimits.completionBatchWaitMs };
      const deliver = async (db: PgpodDb, record: (delivery: Delivery) => Promise<CompleteSummary>) => {
        for (let run = await handoff.next(); run !== null && Date.now() < deadline; run = await handoff.next()) {
          const id = runpodJobId(run);
          await db.runContext(run.run_id, run.attempt, id);
          await record(deliveryWithoutFiles(run.run_id, run.attempt, { id, status: "COMPLETED", output: { ok: true }, delayTime: 1, executionTime: 1 }));
          progress.add(1);
        }
      };
      try {
        const claiming = Promise.all(dispatchers.map(dispatch)).finally(() => handoff.close());
        const recording = Promise.all(webhooks.flatMap((db) => {
          const record = batcher(limits, (deliveries: Delivery[]) => recordDeliveries(db, deliveries));
          return Array.from({ length: options.deliveriesPerInstance }, () => deliver(db, record));
        }));
        const outcomes = await Promise.allSettled([claiming, recording]);
        for (const outcome of outcomes) if (outcome.status === "rejected") throw outcome.reason;
      } finally {
        handoff.close();
        await Promise.all([...dispatchers, ...webhooks].map((db) => db.close()));
      }
    },
    close: () => Promise.resolve(),
  };
}
