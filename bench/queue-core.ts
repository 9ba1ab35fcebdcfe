// Section 2: pgpod's queue through the SQL functions the Edge Functions call,
// without HTTP: submit (an authenticated user's single-row inserts from C
// clients, then one bulk insert), claim_runs, mark_submitted, complete_run.
import { actAsUser, type BenchContext, concurrently, connect, createEndpoint, createUser, dispatcherNote, dropEndpoint, sharedStackNote, type Sql, withDispatcherUnreachable } from "./context.ts";
import { perSecond, round, type SectionResult, timed } from "./report.ts";

/** What pgpod-dispatch passes to claim_runs (limits.maxRunsPerEndpoint). */
export const runsPerClaim = 50;

interface ClaimedRun {
  run_id: string;
  attempt: number;
}

export interface CycleTimes {
  /** Runs claimed; all of them on an exclusive stack. */
  claimed: number;
  claimMs: number;
  markMs: number;
  completeMs: number;
}

/** Claims, marks and completes everything queued on `endpoint`, as the dispatcher and webhook would. */
export async function drainThroughSql(sql: Sql, endpoint: string, expected: number, concurrency: number, exclusive: boolean): Promise<CycleTimes> {
  const batches: ClaimedRun[][] = [];
  const claim = await timed(async () => {
    for (;;) {
      const runs = await sql<ClaimedRun[]>`select run_id, attempt from pgpod.claim_runs(${endpoint}, ${runsPerClaim})`;
      if (runs.length === 0) return;
      batches.push(runs);
    }
  });
  const claimed = batches.reduce((n, b) => n + b.length, 0);
  if (exclusive ? claimed !== expected : claimed > expected) {
    throw new Error(`queue core: claimed ${claimed} runs, expected ${expected}`);
  }

  const mark = await timed(async () => {
    for (const batch of batches) {
      const submissions = batch.map((r) => ({ run_id: Number(r.run_id), attempt: r.attempt, runpod_job_id: `bench-${r.run_id}` }));
      await sql`select pgpod.mark_submitted(${sql.json(submissions)})`;
    }
  });

  const runs = batches.flat();
  const complete = await timed(() =>
    concurrently(sql, concurrency, runs.length, (conn, i) => {
      const run = runs[i];
      const body = { id: `bench-${run.run_id}`, status: "COMPLETED", output: { ok: true }, delayTime: 1, executionTime: 1 };
      return conn`select pgpod.complete_run(${run.run_id}::bigint, ${run.attempt}, ${conn.json(body)}, '[]'::jsonb)`;
    }),
  );
  const [{ done }] = await sql<{ done: number }[]>`
    select count(*)::int as done from pgpod.jobs
    where endpoint = ${endpoint} and status = 'succeeded' and run_id = any(${runs.map((r) => r.run_id)}::bigint[])`;
  if (done !== claimed) throw new Error(`queue core: ${done} of ${claimed} claimed jobs succeeded`);
  return { claimed, claimMs: claim.ms, markMs: mark.ms, completeMs: complete.ms };
}

/** C clients, each acting as `userId`, insert one job per statement. */
export async function submitSingleRows(sql: Sql, endpoint: string, userId: string, jobs: number, concurrency: number): Promise<number> {
  const { ms } = await timed(() =>
    concurrently(
      sql, concurrency, jobs,
      (conn, i) => conn`insert into pgpod.jobs (endpoint, input) values (${endpoint}, ${conn.json({ n: i })})`,
      (conn) => actAsUser(conn, userId),
    ),
  );
  return ms;
}

/** One statement inserting `jobs` rows as `userId`. */
export async function submitBulk(sql: Sql, endpoint: string, userId: string, jobs: number): Promise<number> {
  const { ms } = await timed(() =>
    sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${JSON.stringify({ sub: userId, role: "authenticated" })}, true)`;
      await tx`set local role authenticated`;
      await tx`insert into pgpod.jobs (endpoint, input)
               select ${endpoint}, jsonb_build_object('n', g) from generate_series(1, ${jobs}::int) g`;
    }),
  );
  return ms;
}

export interface QueueCoreResult extends SectionResult {
  singleSubmitPerS: number;
  bulkSubmitPerS: number;
  cyclePerS: number;
  processPerS: number;
}

export async function queueCore(ctx: BenchContext): Promise<QueueCoreResult> {
  const { concurrency, jobs } = ctx.sizes;
  const sql = connect(ctx.env, concurrency + 1);
  try {
    const endpoint = await createEndpoint(sql, "bench_core", "http://127.0.0.1:9/v2");
    const userId = await createUser(sql);
    const result = await withDispatcherUnreachable(ctx, sql, async () => {
      ctx.log(`queue core: ${jobs} single-row submits from ${concurrency} clients, then claim/mark/complete`);
      const singleMs = await submitSingleRows(sql, endpoint, userId, jobs, concurrency);
      const single = await drainThroughSql(sql, endpoint, jobs, concurrency, ctx.exclusive);
      ctx.log(`queue core: one bulk insert of ${jobs} jobs, then claim/mark/complete`);
      const bulkMs = await submitBulk(sql, endpoint, userId, jobs);
      const bulk = await drainThroughSql(sql, endpoint, jobs, concurrency, ctx.exclusive);
      return { singleMs, single, bulkMs, bulk };
    });
    await dropEndpoint(sql, endpoint);

    const { singleMs, single, bulkMs, bulk } = result;
    const processMs = (t: CycleTimes) => t.claimMs + t.markMs + t.completeMs;
    const row = (step: string, ms: number, count = jobs) => [step, count, round(ms / 1000), round(perSecond(count, ms))];
    // Per-job rate of the SQL steps, over the jobs they handled (all of them on an exclusive stack).
    const processPerS = (t: CycleTimes) => perSecond(t.claimed, processMs(t));
    const cyclePerS = 1000 / (singleMs / jobs + 1000 / processPerS(single));
    return {
      id: "queue-core",
      title: "2. Queue core, SQL only",
      settings: { jobs, clients: concurrency, runs_per_claim: runsPerClaim, batch_size: 1, complete_clients: concurrency },
      tables: [{
        title: "Jobs/s per step (single-row submits | bulk submit)",
        columns: ["step", "jobs", "seconds", "jobs/s"],
        rows: [
          row("submit: single-row INSERTs as authenticated user", singleMs),
          row("claim_runs (50 runs per call, 1 claimer)", single.claimMs, single.claimed),
          row("mark_submitted (per claimed batch)", single.markMs, single.claimed),
          row("complete_run COMPLETED (one per run, C clients)", single.completeMs, single.claimed),
          ["whole cycle, single-row submits", jobs, null, round(cyclePerS)],
          row("submit: one bulk INSERT … SELECT generate_series", bulkMs),
          row("claim + mark + complete after the bulk insert", processMs(bulk), bulk.claimed),
          ["whole cycle, bulk submit", jobs, null, round(1000 / (bulkMs / jobs + 1000 / processPerS(bulk)))],
        ],
      }],
      notes: [
        ctx.exclusive ? dispatcherNote : sharedStackNote,
        "Whole cycle = 1 / (submit seconds per job + claim/mark/complete seconds per job).",
        "Each insert runs pgpod's triggers: validation, pgmq.send_batch, the debounced kick and the owner's Realtime broadcast.",
        "claim → mark → complete is the dispatcher's and the webhook's SQL; between mark and complete RunPod would run the job.",
      ],
      singleSubmitPerS: perSecond(jobs, singleMs),
      bulkSubmitPerS: perSecond(jobs, bulkMs),
      cyclePerS,
      processPerS: processPerS(single),
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
