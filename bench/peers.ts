// graphile-worker and pg-boss as queue section systems, each in a database of
// its own on the same Postgres: enqueue from this process (addJob / send from
// C clients, addJobs / insert in bulk), workers in a process of their own in
// their best documented configuration (bench/workers/).
import { makeWorkerUtils, Logger, type WorkerUtils } from "graphile-worker";
import { PgBoss } from "pg-boss";
import { type BenchContext, connect, databaseUrl, type Sql, sleep } from "./context.ts";
import type { QueueSystem } from "./queue-system.ts";
import { timed } from "./report.ts";
import { WorkerProcess, type StepResult } from "./worker-process.ts";
import { graphileBest } from "./workers/graphile-worker.ts";
import { pgBossBest, pgBossQueueName } from "./workers/pg-boss.ts";

async function freshDatabase(ctx: BenchContext, name: string): Promise<void> {
  const admin = connect(ctx.env, 1);
  try {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/** Runs `call` `total` times with at most `clients` in flight; answers the milliseconds. */
async function inParallel(clients: number, total: number, call: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const { ms } = await timed(() =>
    Promise.all(Array.from({ length: clients }, async () => {
      for (let i = next++; i < total; i = next++) await call(i);
    })),
  );
  return ms;
}

/** After the worker said it handled the step: waits (briefly) for its last completions to show, then checks. */
async function checkDrained(name: string, jobs: number, step: StepResult, remaining: () => Promise<number>): Promise<StepResult> {
  let left = await remaining();
  for (let i = 0; i < 50 && left > 0; i++, left = await remaining()) await sleep(100);
  if (left > 0 || step.handled < jobs) throw new Error(`${name}: handled ${step.handled} of ${jobs} jobs, ${left} left in the queue`);
  return step;
}

export const graphileDescription =
  `concurrency ${graphileBest.concurrency}, maxPoolSize ${graphileBest.preset.worker.maxPoolSize}, localQueue.size ${graphileBest.preset.worker.localQueue.size}, ` +
  "complete/failJobBatchDelay 0 (its docs' performance settings)";

export async function graphileWorkerQueue(ctx: BenchContext, version: string): Promise<QueueSystem> {
  const { concurrency, drainTimeoutS } = ctx.sizes;
  const database = "bench_graphile_worker";
  await freshDatabase(ctx, database);
  const connectionString = databaseUrl(ctx.env, database);
  const logger = new Logger(() => () => {});
  const statsSql = connect(ctx.env, 1, database);
  const setup = await makeWorkerUtils({ connectionString, logger });
  await setup.migrate();
  await setup.release();
  const worker = await WorkerProcess.start("graphile-worker", { connectionString });
  const remaining = async () => (await statsSql<{ n: number }[]>`select count(*)::int as n from graphile_worker._private_jobs`)[0].n;
  /** Utilities with every connection open, released after the step so its counters are published. */
  const withUtils = async <T>(clients: number, fn: (utils: WorkerUtils) => Promise<T>): Promise<T> => {
    const utils = await makeWorkerUtils({ connectionString, logger, preset: { worker: { maxPoolSize: clients } } });
    try {
      await Promise.all(Array.from({ length: clients }, () => utils.withPgClient((client) => client.query("select 1"))));
      return await fn(utils);
    } finally {
      await utils.release();
    }
  };
  return {
    name: `graphile-worker ${version} (best)`,
    description: graphileDescription,
    statsSql,
    enqueueSingle: (jobs) => withUtils(concurrency, (utils) => inParallel(concurrency, jobs, (i) => utils.addJob("noop", { n: i }))),
    enqueueBulk: (jobs) => withUtils(1, async (utils) =>
      (await timed(() => utils.addJobs(Array.from({ length: jobs }, (_, i) => ({ identifier: "noop", payload: { n: i } }))))).ms),
    process: async (jobs) => checkDrained("graphile-worker", jobs, await worker.process(jobs, drainTimeoutS * 1000), remaining),
    async close() {
      await worker.close();
      await statsSql.end({ timeout: 5 });
    },
  };
}

export const pgBossDescription =
  `batchSize ${pgBossBest.batchSize}, localConcurrency ${pgBossBest.localConcurrency}, burstWhenBatchFull, ${pgBossBest.pollingIntervalSeconds} s poll`;

export async function pgBossQueue(ctx: BenchContext, version: string): Promise<QueueSystem> {
  const { concurrency, drainTimeoutS } = ctx.sizes;
  const database = "bench_pg_boss";
  await freshDatabase(ctx, database);
  const connectionString = databaseUrl(ctx.env, database);
  const statsSql = connect(ctx.env, 1, database);
  /** A sending instance (no maintenance of its own) with every connection open, stopped after the step. */
  const withBoss = async <T>(clients: number, fn: (boss: PgBoss) => Promise<T>): Promise<T> => {
    const boss = new PgBoss({ connectionString, max: clients, supervise: false, schedule: false });
    boss.on("error", (error) => ctx.log(`pg-boss: ${error.message}`));
    await boss.start();
    try {
      await Promise.all(Array.from({ length: clients }, () => boss.getDb().executeSql("select pg_sleep(0.01)")));
      return await fn(boss);
    } finally {
      await boss.stop({ graceful: false, close: true });
    }
  };
  await withBoss(1, (boss) => boss.createQueue(pgBossQueueName));
  const worker = await WorkerProcess.start("pg-boss", { connectionString });
  const remaining = async () =>
    (await statsSql<{ n: number }[]>`select count(*)::int as n from pgboss.job where name = ${pgBossQueueName} and state < 'completed'`)[0].n;
  return {
    name: `pg-boss ${version} (tuned)`,
    description: pgBossDescription,
    statsSql,
    enqueueSingle: (jobs) => withBoss(concurrency, (boss) => inParallel(concurrency, jobs, (i) => boss.send(pgBossQueueName, { n: i }))),
    enqueueBulk: (jobs) => withBoss(1, async (boss) =>
      (await timed(() => boss.insert(pgBossQueueName, Array.from({ length: jobs }, (_, i) => ({ data: { n: i } }))))).ms),
    process: async (jobs) => checkDrained("pg-boss", jobs, await worker.process(jobs, drainTimeoutS * 1000), remaining),
    async close() {
      await worker.close();
      await statsSql.end({ timeout: 5 });
    },
  };
}
