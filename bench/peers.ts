// Section 3: graphile-worker and pg-boss on the same Postgres (each in a
// database of its own), doing what section 2 does: enqueue N jobs from C
// clients and in bulk, then process them with a no-op handler, once with the
// library's defaults and once with its best documented configuration.
import { Logger, makeWorkerUtils, run as runGraphile } from "graphile-worker";
import { PgBoss } from "pg-boss";
import { type BenchContext, connect, type Sql, sleep } from "./context.ts";
import type { QueueCoreResult } from "./queue-core.ts";
import { perSecond, ratio, round, type SectionResult, timed } from "./report.ts";

interface Drained {
  ms: number;
  processed: number;
}

interface PeerConfigResult {
  config: string;
  description: string;
  processed: Drained;
}

interface PeerResult {
  peer: string;
  singleMs: number;
  bulkMs: number;
  configs: PeerConfigResult[];
}

const noop = () => Promise.resolve();

async function freshDatabase(admin: Sql, name: string): Promise<void> {
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
}

/** Waits until `remaining` reports 0 or the deadline passes; the time is from `startedAt`. */
async function waitDrained(startedAt: number, total: number, timeoutS: number, remaining: () => Promise<number>): Promise<Drained> {
  const deadline = startedAt + timeoutS * 1000;
  for (;;) {
    const left = await remaining();
    const now = performance.now();
    if (left === 0 || now > deadline) return { ms: now - startedAt, processed: total - left };
    await sleep(20);
  }
}

/** Runs `call` `total` times with at most `clients` in flight. */
async function inParallel(clients: number, total: number, call: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const { ms } = await timed(() =>
    Promise.all(Array.from({ length: clients }, async () => {
      for (let i = next++; i < total; i = next++) await call(i);
    })),
  );
  return ms;
}

async function graphileWorker(ctx: BenchContext, admin: Sql): Promise<PeerResult> {
  const { jobs, concurrency, drainTimeoutS } = ctx.sizes;
  const database = "bench_graphile_worker";
  await freshDatabase(admin, database);
  const connectionString = ctx.env.SUPABASE_DB_URL.replace(/\/[^/]*$/, `/${database}`);
  const logger = new Logger(() => () => {});
  const utils = await makeWorkerUtils({ connectionString, logger, preset: { worker: { maxPoolSize: concurrency + 2 } } });
  const sql = connect(ctx.env, 1, database);
  try {
    await utils.migrate();
    const remaining = async () => (await sql<{ n: number }[]>`select count(*)::int as n from graphile_worker.jobs`)[0].n;
    const drain = async (options: Parameters<typeof runGraphile>[0]): Promise<Drained> => {
      const started = performance.now();
      const runner = await runGraphile({ connectionString, logger, noHandleSignals: true, taskList: { noop }, ...options });
      const drained = await waitDrained(started, jobs, drainTimeoutS, remaining);
      await runner.stop();
      return drained;
    };

    ctx.log(`graphile-worker: ${jobs} addJob calls from ${concurrency} clients, worker with defaults`);
    const singleMs = await inParallel(concurrency, jobs, (i) => utils.addJob("noop", { n: i }));
    const defaults = await drain({});
    await sql`delete from graphile_worker._private_jobs`;

    ctx.log(`graphile-worker: one addJobs of ${jobs}, worker with local queue and batched completion`);
    const bulkMs = (await timed(() => utils.addJobs(Array.from({ length: jobs }, (_, i) => ({ identifier: "noop", payload: { n: i } }))))).ms;
    const best = await drain({
      concurrency: 24,
      preset: { worker: { maxPoolSize: 25, localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
    });
    return {
      peer: "graphile-worker 0.18.0",
      singleMs,
      bulkMs,
      configs: [
        { config: "default", description: "concurrentJobs 1, no local queue, LISTEN/NOTIFY + 2 s poll", processed: defaults },
        { config: "best", description: "concurrentJobs 24, maxPoolSize 25, localQueue.size 500, complete/failJobBatchDelay 0 (docs/performance)", processed: best },
      ],
    };
  } finally {
    await utils.release();
    await sql.end({ timeout: 5 });
  }
}

async function pgBoss(ctx: BenchContext, admin: Sql): Promise<PeerResult> {
  const { jobs, concurrency, drainTimeoutS } = ctx.sizes;
  const database = "bench_pg_boss";
  await freshDatabase(admin, database);
  const connectionString = ctx.env.SUPABASE_DB_URL.replace(/\/[^/]*$/, `/${database}`);
  const boss = new PgBoss({ connectionString, max: concurrency + 2 });
  boss.on("error", (error) => ctx.log(`pg-boss: ${error.message}`));
  const sql = connect(ctx.env, 1, database);
  try {
    await boss.start();
    const queue = "noop";
    await boss.createQueue(queue);
    const remaining = async () =>
      (await sql<{ n: number }[]>`select count(*)::int as n from pgboss.job where name = ${queue} and state < 'completed'`)[0].n;
    const drain = async (options: Parameters<PgBoss["work"]>[1]): Promise<Drained> => {
      const started = performance.now();
      const worker = await boss.work(queue, options, noop);
      const drained = await waitDrained(started, jobs, drainTimeoutS, remaining);
      await boss.offWork(queue, { id: worker });
      return drained;
    };

    ctx.log(`pg-boss: ${jobs} send calls from ${concurrency} clients, work with defaults`);
    const singleMs = await inParallel(concurrency, jobs, (i) => boss.send(queue, { n: i }));
    const defaults = await drain({});
    await sql`delete from pgboss.job where name = ${queue}`;

    ctx.log(`pg-boss: one insert of ${jobs}, work with batches and many workers`);
    const bulkMs = (await timed(() => boss.insert(queue, Array.from({ length: jobs }, (_, i) => ({ data: { n: i } }))))).ms;
    const best = await drain({ batchSize: 100, localConcurrency: 8, burstWhenBatchFull: true, pollingIntervalSeconds: 0.5 });
    return {
      peer: "pg-boss 12.35.0",
      singleMs,
      bulkMs,
      configs: [
        { config: "default", description: "batchSize 1, localConcurrency 1, 2 s poll", processed: defaults },
        { config: "best", description: "batchSize 100, localConcurrency 8, burstWhenBatchFull, 0.5 s poll", processed: best },
      ],
    };
  } finally {
    await boss.stop({ graceful: false, close: true }).catch(() => undefined);
    await sql.end({ timeout: 5 });
  }
}

export async function peers(ctx: BenchContext, pgpod: QueueCoreResult): Promise<SectionResult> {
  const { jobs, concurrency, drainTimeoutS } = ctx.sizes;
  const admin = connect(ctx.env, 1);
  const results: PeerResult[] = [];
  try {
    results.push(await graphileWorker(ctx, admin));
    results.push(await pgBoss(ctx, admin));
  } finally {
    await admin.end({ timeout: 5 });
  }

  const rows = results.flatMap((r) =>
    r.configs.map((c) => {
      const complete = c.processed.processed === jobs;
      const processPerS = perSecond(c.processed.processed, c.processed.ms);
      const cyclePerS = complete ? perSecond(jobs, r.singleMs + c.processed.ms) : null;
      return [
        `${r.peer} (${c.config})`,
        round(perSecond(jobs, r.singleMs)),
        round(perSecond(jobs, r.bulkMs)),
        complete ? round(processPerS) : `${round(processPerS)} (${c.processed.processed}/${jobs} in ${drainTimeoutS} s)`,
        round(cyclePerS),
        ratio(pgpod.singleSubmitPerS, perSecond(jobs, r.singleMs)),
        ratio(pgpod.bulkSubmitPerS, perSecond(jobs, r.bulkMs)),
        ratio(pgpod.cyclePerS, cyclePerS),
      ];
    }),
  );
  return {
    id: "peers",
    title: "3. Peers on the same Postgres",
    settings: { jobs, clients: concurrency, drain_timeout_s: drainTimeoutS, task: "no-op" },
    tables: [{
      title: "Jobs/s and pgpod/peer ratios (>1× means pgpod is faster)",
      columns: ["system (config)", "enqueue 1-row jobs/s", "enqueue bulk jobs/s", "process jobs/s", "cycle jobs/s",
        "pgpod/peer enqueue", "pgpod/peer bulk", "pgpod/peer cycle"],
      rows: [
        ["pgpod (section 2)", round(pgpod.singleSubmitPerS), round(pgpod.bulkSubmitPerS), round(pgpod.processPerS), round(pgpod.cyclePerS), "1.00×", "1.00×", "1.00×"],
        ...rows,
      ],
    }],
    notes: [
      ...results.flatMap((r) => r.configs.map((c) => `${r.peer} ${c.config}: ${c.description}.`)),
      "Enqueue: 1-row = one call per job from C clients (graphile addJob, pg-boss send; pgpod INSERT as a user); bulk = one call (addJobs, insert; pgpod INSERT … SELECT).",
      "Cycle = 1-row enqueue time + processing time. pgpod's processing is claim_runs + mark_submitted + complete_run: one more step than a peer's fetch + complete, because the work runs on RunPod in between.",
      "Each peer runs in its own database on the same cluster, its workers in this Node process.",
    ],
  };
}
