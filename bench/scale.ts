// Section 5: does claiming get slower as the queue grows? The queue is filled
// to each depth in turn, and at each depth claim_runs (each followed by
// mark_submitted, as the dispatcher does) is timed in several rounds.
import { type BenchContext, connect, createEndpoint, createUser, dropEndpoint, dispatcherNote, sharedStackNote, type Sql, withDispatcherUnreachable } from "./context.ts";
import { runsPerClaim } from "./pgpod-queue.ts";
import { median, percentile, round, type SectionResult, spread, summarize, type Summary, times, timed } from "./report.ts";

/** Rows inserted per statement while filling the queue. */
const loadChunk = 100_000;
const warmUpClaims = 6;

interface DepthResult {
  target: number;
  depth: number;
  loadS: number;
  /** Claim times per round. */
  claimMs: number[][];
  markMs: number[];
}

/**
 * Fills the queue straight from generate_series: job rows with their triggers
 * off (session_replication_role = replica) and the matching pgmq messages, in
 * one statement per chunk. What a claim then reads is exactly what
 * submissions leave behind, without paying section 2's per-row cost again.
 */
async function fillQueue(sql: Sql, endpoint: string, ownerId: string, rows: number): Promise<void> {
  const table = `q_pgpod_${endpoint}`;
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await tx.unsafe(
      `with j as (
         insert into pgpod.jobs (endpoint, owner_id, input, max_attempts)
         select $1, $3::uuid, jsonb_build_object('n', g), 1 from generate_series(1, $2::int) g
         returning id, created_at
       )
       insert into pgmq.${table} (vt, message)
       select now(), jsonb_build_object('job_id', j.id) from j`,
      [endpoint, rows, ownerId],
    );
  });
}

async function queuedCount(sql: Sql, endpoint: string): Promise<number> {
  const [{ n }] = await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from pgmq.q_pgpod_${endpoint} where vt <= now()`);
  return n;
}

async function claimAtDepths(ctx: BenchContext, sql: Sql, endpoint: string, loadBudgetMs: number): Promise<{ results: DepthResult[]; cappedAt?: number }> {
  const { depths, rounds, claimsPerDepth } = ctx.sizes;
  const results: DepthResult[] = [];
  const loadStarted = performance.now();
  const ownerId = await createUser(sql);
  // Untimed claims first: Postgres plans a function's statements afresh for
  // their first five executions on a connection, which no depth should pay for.
  await fillQueue(sql, endpoint, ownerId, warmUpClaims);
  for (let i = 0; i < warmUpClaims; i++) await sql`select pgpod.claim_runs(${endpoint}, 1)`;
  let depth = 0;
  for (const target of depths) {
    const loadStart = performance.now();
    let outOfTime = false;
    // Each timed claim takes runsPerClaim off the queue: fill for them too, so the depth holds.
    const claimedHere = rounds * claimsPerDepth * runsPerClaim;
    while (depth < target + claimedHere) {
      if (performance.now() - loadStarted > loadBudgetMs) {
        outOfTime = true;
        break;
      }
      const rows = Math.min(loadChunk, target + claimedHere - depth);
      await fillQueue(sql, endpoint, ownerId, rows);
      depth += rows;
    }
    // What autovacuum keeps doing while a real queue grows; without it, autovacuum starts on the freshly loaded tables during the timed claims.
    await sql.unsafe(`vacuum (analyze) pgpod.jobs, pgmq.q_pgpod_${endpoint}`);
    const loadS = (performance.now() - loadStart) / 1000;
    depth = await queuedCount(sql, endpoint);
    ctx.log(`scale: ${depth} messages queued (target ${target}), timing ${rounds} rounds of ${claimsPerDepth} claims`);
    const claimMs: number[][] = [];
    const markMs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const roundMs: number[] = [];
      for (let i = 0; i < claimsPerDepth; i++) {
        const claim = await timed(() => sql<{ run_id: string; attempt: number }[]>`
          select run_id, attempt from pgpod.claim_runs(${endpoint}, ${runsPerClaim})`);
        roundMs.push(claim.ms);
        const submissions = claim.value.map((c) => ({ run_id: Number(c.run_id), attempt: c.attempt, runpod_job_id: `bench-${c.run_id}` }));
        markMs.push((await timed(() => sql`select pgpod.mark_submitted(${sql.json(submissions)})`)).ms);
      }
      claimMs.push(roundMs);
    }
    results.push({ target, depth, loadS, claimMs, markMs });
    depth = await queuedCount(sql, endpoint);
    if (outOfTime) return { results, cappedAt: target };
  }
  return { results };
}

export async function scale(ctx: BenchContext): Promise<SectionResult> {
  const { loadBudgetS, rounds, claimsPerDepth } = ctx.sizes;
  const sql = connect(ctx.env, 2);
  let depths: Awaited<ReturnType<typeof claimAtDepths>>;
  try {
    const endpoint = await createEndpoint(sql, "bench_scale", "http://127.0.0.1:9/v2");
    depths = await withDispatcherUnreachable(ctx, sql, () => claimAtDepths(ctx, sql, endpoint, loadBudgetS * 1000));
    // The bench's own stack is thrown away next; a shared one gets its rows back.
    if (!ctx.exclusive) await dropEndpoint(sql, endpoint);
  } finally {
    await sql.end({ timeout: 5 });
  }

  const roundMedians = (d: DepthResult) => summarize(d.claimMs.map((r) => median(r) ?? Number.NaN));
  const first = depths.results[0];
  const last = depths.results[depths.results.length - 1];
  // Largest depth over smallest, within each round.
  const flatness = summarize(first.claimMs.map((r, i) => (median(last.claimMs[i]) ?? Number.NaN) / (median(r) ?? Number.NaN)));
  const figures: Record<string, Summary> = { "scale.claim_largest_vs_smallest": flatness };
  for (const d of depths.results) figures[`scale.claim_ms.${d.target}`] = roundMedians(d);
  const notes = [
    ctx.exclusive ? dispatcherNote : sharedStackNote,
    `Depth = messages visible in the endpoint's pgmq queue before the timed claims (${rounds} rounds of ${claimsPerDepth} claim_runs of ${runsPerClaim} runs, each followed by mark_submitted, as the dispatcher does), after ${warmUpClaims} untimed warm-up claims on the same connection.`,
    "The queue is filled with generate_series inserts into pgpod.jobs (triggers off) and the endpoint's pgmq table, then VACUUM (ANALYZE)d, as autovacuum keeps a queue that grew over time.",
    `Largest vs smallest depth = the ratio of the two depths' claim medians within each round; median (min–max) over rounds. Largest depth reached: ${last.depth}.`,
  ];
  if (depths.cappedAt !== undefined) {
    notes.push(`Loading stopped at ${last.depth} messages: ${depths.cappedAt} did not fit the ${loadBudgetS} s loading budget on this machine.`);
  }
  return {
    id: "scale",
    title: "5. Claim time by queue depth",
    settings: { depths: ctx.sizes.depths.join("/"), rounds, claims_per_round: claimsPerDepth, runs_per_claim: runsPerClaim, load_budget_s: loadBudgetS },
    tables: [{
      title: "claim_runs time by queue depth, ms",
      columns: ["depth (target)", "load s", "claim median of rounds", "claim p95 (all)", "ms per claimed job", "mark p50", "vs smallest depth"],
      rows: depths.results.map((d) => {
        const all = d.claimMs.flat();
        return [
          `${d.depth} (${d.target})`,
          round(d.loadS),
          spread(roundMedians(d)),
          round(percentile(all, 95)),
          round((median(all) ?? 0) / runsPerClaim),
          round(median(d.markMs)),
          d === first ? "1.00×" : spread(summarize(first.claimMs.map((r, i) => (median(d.claimMs[i]) ?? Number.NaN) / (median(r) ?? Number.NaN))), times),
        ];
      }),
    }],
    notes,
    figures,
  };
}
