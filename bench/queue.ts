// Sections 2 and 3: pgpod, graphile-worker and pg-boss on the same Postgres,
// taking turns within each round: enqueue jobs one call at a time from C
// clients, enqueue the rest of the round's N in one call, then process all N
// in the system's worker process. Each round also counts the durable rows and
// WAL each system wrote per job, and (for pgpod) the server time of each
// statement.
import { type BenchContext, connect, dispatcherNote, sharedStackNote, withDispatcherUnreachable } from "./context.ts";
import { graphileWorkerQueue, pgBossQueue } from "./peers.ts";
import { bulkInsertStep, pgpodQueue, pgpodStatements, singleInsertStep } from "./pgpod-queue.ts";
import type { QueueSystem } from "./queue-system.ts";
import { perSecond, type SectionResult, spread, summarize, type Summary, times } from "./report.ts";
import { resetStatements, statementsAvailable, type StatementTime, statementTimes } from "./statements.ts";
import { packageVersion } from "./versions.ts";
import type { StepResult } from "./worker-process.ts";
import { writeDelta, writeSnapshot, type WriteDelta } from "./writes.ts";

interface SystemRound {
  singleMs: number;
  bulkMs: number;
  step: StepResult;
  /** Over the round's enqueues and processing. */
  writes: WriteDelta;
  statements: Record<string, StatementTime> | null;
}

/** Figure keys: pgpod, graphile-worker, pg-boss. */
const keyOf = (system: QueueSystem) => system.name.split(" ")[0];

async function runRound(ctx: BenchContext, system: QueueSystem, withStatements: boolean, label: string): Promise<SystemRound> {
  const { jobs, singleRowJobs, concurrency } = ctx.sizes;
  const before = await writeSnapshot(system.statsSql);
  if (withStatements) await resetStatements(system.statsSql);
  ctx.log(`${label}: ${system.name}: ${singleRowJobs} single-row enqueues from ${concurrency} clients, one bulk enqueue of ${jobs - singleRowJobs}, processing all ${jobs}`);
  const singleMs = await system.enqueueSingle(singleRowJobs);
  const bulkMs = await system.enqueueBulk(jobs - singleRowJobs);
  const step = await system.process(jobs);
  const statements = withStatements ? await statementTimes(system.statsSql, pgpodStatements) : null;
  const writes = await writeDelta(system.statsSql, before, await writeSnapshot(system.statsSql));
  ctx.log(`${label}: ${system.name}: ${Math.round(perSecond(singleRowJobs, singleMs))}/s 1-row, ${Math.round(perSecond(jobs - singleRowJobs, bulkMs))}/s bulk, ` +
    `${Math.round(step.steadyPerS ?? 0)}/s processing, ${Math.round(writes.rows / jobs)} rows per job`);
  return { singleMs, bulkMs, step, writes, statements };
}

const processRate = (r: SystemRound) => r.step.steadyPerS;

export async function queue(ctx: BenchContext): Promise<SectionResult[]> {
  const { jobs, singleRowJobs, rounds } = ctx.sizes;
  const bulkJobs = jobs - singleRowJobs;
  const admin = connect(ctx.env, 1);
  const results = new Map<QueueSystem, SystemRound[]>();
  let systems: QueueSystem[] = [];
  let statementsOn = false;
  try {
    statementsOn = await statementsAvailable(admin);
    await withDispatcherUnreachable(ctx, admin, async () => {
      ctx.log("queue: starting the worker processes");
      systems = [
        await pgpodQueue(ctx),
        await graphileWorkerQueue(ctx, packageVersion("graphile-worker")),
        await pgBossQueue(ctx, packageVersion("pg-boss")),
      ];
      for (const system of systems) results.set(system, []);
      for (let round = 1; round <= rounds; round++) {
        for (const system of systems) {
          results.get(system)!.push(await runRound(ctx, system, statementsOn && keyOf(system) === "pgpod", `queue round ${round}/${rounds}`));
        }
      }
    });
  } finally {
    for (const system of systems) await system.close().catch((error: Error) => ctx.log(`closing ${system.name}: ${error.message}`));
    await admin.end({ timeout: 5 });
  }

  const [pgpod, graphile, pgBoss] = systems;
  const per = (system: QueueSystem, pick: (r: SystemRound) => number | null) => summarize(results.get(system)!.map((r) => pick(r) ?? Number.NaN));
  const figures: Record<string, Summary> = {};
  for (const system of systems) {
    const key = keyOf(system);
    figures[`${key}.enqueue_single_per_s`] = per(system, (r) => perSecond(singleRowJobs, r.singleMs));
    figures[`${key}.enqueue_bulk_per_s`] = per(system, (r) => perSecond(bulkJobs, r.bulkMs));
    figures[`${key}.process_per_s`] = per(system, processRate);
    figures[`${key}.process_with_startup_per_s`] = per(system, (r) => perSecond(r.step.handled, r.step.totalMs));
    figures[`${key}.rows_per_job`] = per(system, (r) => r.writes.rows / jobs);
    figures[`${key}.wal_bytes_per_job`] = per(system, (r) => r.writes.walBytes / jobs);
  }
  // Ratios within each round, so drift between rounds cancels out.
  const perRound = (fn: (round: number) => number | null) => summarize(Array.from({ length: rounds }, (_, i) => fn(i) ?? Number.NaN));
  const at = (system: QueueSystem, i: number) => results.get(system)![i];
  const bestPeer = (i: number, pick: (r: SystemRound) => number | null) => Math.max(pick(at(graphile, i)) ?? 0, pick(at(pgBoss, i)) ?? 0);
  const single = (r: SystemRound) => perSecond(singleRowJobs, r.singleMs);
  const bulk = (r: SystemRound) => perSecond(bulkJobs, r.bulkMs);
  figures["ratio.enqueue_single_vs_best_peer"] = perRound((i) => single(at(pgpod, i)) / bestPeer(i, single));
  figures["ratio.enqueue_bulk_vs_best_peer"] = perRound((i) => bulk(at(pgpod, i)) / bestPeer(i, bulk));
  figures["ratio.process_vs_graphile_worker"] = perRound((i) => (processRate(at(pgpod, i)) ?? 0) / (processRate(at(graphile, i)) ?? Number.NaN));
  figures["ratio.process_vs_best_peer"] = perRound((i) => (processRate(at(pgpod, i)) ?? 0) / bestPeer(i, processRate));

  const note = ctx.exclusive ? dispatcherNote : sharedStackNote;
  const queueSection: SectionResult = {
    id: "queue",
    title: "2. Queue: pgpod and its peers on one Postgres",
    settings: { jobs_processed_per_round: jobs, single_row_enqueues: singleRowJobs, bulk_enqueue: bulkJobs, rounds, enqueue_clients: ctx.sizes.concurrency, task: "no-op" },
    tables: [
      {
        title: `Jobs/s, median (min–max) over ${rounds} rounds`,
        columns: ["system", "enqueue 1-row", "enqueue bulk", "process (steady)", "process incl. start-up"],
        rows: systems.map((s) => {
          const key = keyOf(s);
          return [s.name, spread(figures[`${key}.enqueue_single_per_s`]), spread(figures[`${key}.enqueue_bulk_per_s`]),
            spread(figures[`${key}.process_per_s`]), spread(figures[`${key}.process_with_startup_per_s`])];
        }),
      },
      {
        title: "pgpod/peer ratios, computed within each round (>1× means pgpod is faster)",
        columns: ["ratio", "median (min–max)"],
        rows: [
          ["enqueue 1-row, pgpod / best peer", spread(figures["ratio.enqueue_single_vs_best_peer"], times)],
          ["enqueue bulk, pgpod / best peer", spread(figures["ratio.enqueue_bulk_vs_best_peer"], times)],
          ["process, pgpod / graphile-worker", spread(figures["ratio.process_vs_graphile_worker"], times)],
          ["process, pgpod / best peer", spread(figures["ratio.process_vs_best_peer"], times)],
        ],
      },
    ],
    notes: [
      `Round order: pgpod, graphile-worker, pg-boss, then again; in its turn each system enqueues ${singleRowJobs} jobs one call at a time, ${bulkJobs} in one call, then processes all ${jobs}.`,
      ...systems.map((s) => `${s.name}: ${s.description}.`),
      "Every worker runs in a process of its own, loaded and connected before the step starts. " +
        "Process (steady) = jobs/s between the 10 % and the 90 % mark of the step, as the worker process counts them; incl. start-up = all jobs over the time from the start signal.",
      "1-row enqueue: graphile addJob, pg-boss send, pgpod an INSERT as an authenticated user (its triggers: validation, pgmq.send_batch, the debounced kick, the Realtime broadcast). Bulk: addJobs, insert, INSERT … SELECT generate_series.",
      "pgpod's processing has one step more than a peer's fetch + complete: the work runs on RunPod between mark_submitted and complete_runs.",
      note,
    ],
    figures,
  };

  const tableWrites = new Map<string, number[]>();
  for (const r of results.get(pgpod)!) for (const [table, rows] of r.writes.tables) tableWrites.set(table, [...(tableWrites.get(table) ?? []), rows / jobs]);
  const byTable = [...tableWrites].map(([table, values]) => [table, summarize(values)] as const)
    .sort((a, b) => (b[1].median ?? 0) - (a[1].median ?? 0)).slice(0, 12);
  const statementRounds = results.get(pgpod)!.flatMap((r) => (r.statements ? [r.statements] : []));
  const stepRows = Object.keys(pgpodStatements).map((step) => {
    const stepJobs = step === singleInsertStep ? singleRowJobs : step === bulkInsertStep ? bulkJobs : jobs;
    const callsPerJob = summarize(statementRounds.map((s) => s[step].calls / stepJobs));
    const msPerCall = summarize(statementRounds.map((s) => (s[step].calls > 0 ? s[step].totalMs / s[step].calls : Number.NaN)));
    const msPerJob = summarize(statementRounds.map((s) => s[step].totalMs / stepJobs));
    figures[`pgpod.server_ms_per_job.${step}`] = msPerJob;
    return [step, spread(callsPerJob), spread(msPerCall), spread(msPerJob)];
  });
  const writesSection: SectionResult = {
    id: "writes",
    title: "3. Durable writes per job and pgpod's server time per step",
    settings: { jobs_per_round: jobs, rounds, pg_stat_statements: statementsOn },
    tables: [
      {
        title: "Per job, over a round's enqueues and processing, median (min–max) over rounds",
        columns: ["system", "rows written (ins + upd + del)", "WAL bytes"],
        rows: systems.map((s) => [s.name, spread(figures[`${keyOf(s)}.rows_per_job`]), spread(figures[`${keyOf(s)}.wal_bytes_per_job`])]),
      },
      {
        title: "pgpod: rows written per job, by table",
        columns: ["table", "rows per job"],
        rows: byTable.map(([table, s]) => [table, spread(s)]),
      },
      {
        title: "pgpod: server time per step (pg_stat_statements, top-level statements)",
        columns: ["step", "calls per job", "ms per call", "server ms per job"],
        rows: statementRounds.length > 0 ? stepRows : [["pg_stat_statements is not loaded on this cluster", null, null, null]],
      },
    ],
    notes: [
      "Rows = n_tup_ins + n_tup_upd + n_tup_del of permanent tables in pg_stat_user_tables of the system's own database, before and after its part of a round (the connections that did the work closed first, so their counters are published). " +
        "For pgpod this includes the stack's own activity in its database during the round (pg_net's responses, pg_cron's run log).",
      "WAL bytes = pg_current_wal_lsn() difference, which counts the whole cluster: everything else running on it during that part of the round is in it too.",
      "Server time: total_exec_time of each statement pgpod's part of a round sends, reset at its start; per job of its own step (the 1-row inserts, the bulk insert, or the processing of all jobs).",
    ],
    figures: Object.fromEntries(Object.entries(figures).filter(([k]) => k.includes("rows_per_job") || k.includes("wal_bytes") || k.includes("server_ms"))),
  };
  queueSection.figures = Object.fromEntries(Object.entries(figures).filter(([k]) => !(k in writesSection.figures)));
  return [queueSection, writesSection];
}

