// pgpod as a queue section system: an authenticated user's inserts (one per
// statement from C clients, or one INSERT … SELECT), and processing by a
// worker process that plays the dispatcher and webhook SQL concurrently.
import { defaultLimits } from "../supabase/functions/_shared/config.ts";
import { actAsUser, type BenchContext, concurrently, connect, createEndpoint, createUser, databaseUrl, warm } from "./context.ts";
import type { QueueSystem } from "./queue-system.ts";
import { timed } from "./report.ts";
import { WorkerProcess } from "./worker-process.ts";
import type { PgpodWorkerOptions } from "./workers/pgpod.ts";

/** What pgpod-dispatch passes to claim_runs (limits.maxRunsPerEndpoint). */
export const runsPerClaim = defaultLimits.maxRunsPerEndpoint;

/**
 * Dispatchers claiming at once under steady load: a kick starts one at most
 * every kick_debounce_ms (1 s) and each keeps claiming for 60 % of its 8 s
 * budget, so about four overlap.
 */
export const dispatchers = 4;

/**
 * Webhook function instances and the deliveries each has in flight: a noop
 * worker answers at once, so webhooks arrive as fast as the dispatchers send
 * /run, limits.parallelism at a time each.
 */
export const webhookInstances = 2;
export const deliveriesPerInstance = (dispatchers * defaultLimits.parallelism) / webhookInstances;

export const singleInsertStep = "insert, one row per statement";
export const bulkInsertStep = "insert … select (bulk)";

/** pg_stat_statements patterns of the statements pgpod runs per step. */
export const pgpodStatements: Record<string, string> = {
  [singleInsertStep]: "insert into pgpod.jobs (endpoint, input) values",
  [bulkInsertStep]: "generate_series",
  "dispatchable_endpoints": "pgpod.dispatchable_endpoints(",
  "claim_runs": "pgpod.claim_runs(",
  "mark_submitted": "pgpod.mark_submitted(",
  "run_context": "pgpod.run_context(",
  "complete_runs (group commit)": "pgpod.complete_runs(",
};

export const pgpodDescription =
  `${dispatchers} dispatcher instances (dispatchable_endpoints → claim_runs of ${runsPerClaim} → mark_submitted) and ` +
  `${webhookInstances} webhook instances with ${deliveriesPerInstance} deliveries each in flight (run_context, then complete_runs ` +
  `shared by the deliveries of ${defaultLimits.completionBatchWaitMs} ms, at most ${defaultLimits.completionBatchSize}), ` +
  "each instance with its own pool through the functions' _shared/db.ts, in one worker process";

export async function pgpodQueue(ctx: BenchContext): Promise<QueueSystem> {
  const { concurrency } = ctx.sizes;
  const admin = connect(ctx.env, 1);
  const endpoint = await createEndpoint(admin, "bench_queue", "http://127.0.0.1:9/v2");
  const userId = await createUser(admin);
  const options: PgpodWorkerOptions = { dbUrl: databaseUrl(ctx.env), endpoint, dispatchers, webhookInstances, deliveriesPerInstance, runsPerClaim };
  const worker = await WorkerProcess.start("pgpod", options);

  /** Jobs of the endpoint not finished yet. */
  const open = async () => (await admin<{ n: number }[]>`
    select count(*)::int as n from pgpod.jobs where endpoint = ${endpoint} and status not in ('succeeded', 'failed', 'cancelled')`)[0].n;

  return {
    name: "pgpod",
    description: pgpodDescription,
    statsSql: admin,
    async enqueueSingle(jobs) {
      const sql = connect(ctx.env, concurrency);
      try {
        return await concurrently(
          sql, concurrency, jobs,
          (conn, i) => conn`insert into pgpod.jobs (endpoint, input) values (${endpoint}, ${conn.json({ n: i })})`,
          (conn) => actAsUser(conn, userId),
        );
      } finally {
        await sql.end({ timeout: 5 });
      }
    },
    async enqueueBulk(jobs) {
      const sql = connect(ctx.env, 1);
      try {
        await warm(sql, 1);
        const { ms } = await timed(() =>
          sql.begin(async (tx) => {
            await tx`select set_config('request.jwt.claims', ${JSON.stringify({ sub: userId, role: "authenticated" })}, true)`;
            await tx`set local role authenticated`;
            await tx`insert into pgpod.jobs (endpoint, input)
                     select ${endpoint}, jsonb_build_object('n', g) from generate_series(1, ${jobs}::int) g`;
          }));
        return ms;
      } finally {
        await sql.end({ timeout: 5 });
      }
    },
    async process(jobs) {
      const step = await worker.process(jobs, ctx.sizes.drainTimeoutS * 1000);
      // On a shared stack the real dispatcher may have taken some of them.
      if (!ctx.exclusive) return step;
      const left = await open();
      if (left > 0 || step.handled !== jobs) throw new Error(`pgpod: handled ${step.handled} of ${jobs} jobs, ${left} still open`);
      return step;
    },
    async close() {
      await worker.close();
      await admin.end({ timeout: 5 });
    },
  };
}
