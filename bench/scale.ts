// Section 5: does claiming get slower as the queue grows? One endpoint per
// depth is filled, then the depths take turns in each round: claim_runs, each
// followed by mark_submitted as the dispatcher does, timed at every depth.
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

/** One endpoint per depth, so the depths can take turns within each round. */
const endpointFor = (target: number) => `bench_scale_${target}`;

async function claimAtDepths(ctx: BenchContext, sql: Sql, loadBudgetMs: number): Promise<{ results: DepthResult[]; cappedAt?: number }> {
  const { depths, rounds, claimsPerDepth } = ctx.sizes;
  const results: DepthResult[] = [];
  const loadStarted = performance.now();
  const ownerId = await createUser(sql);
  let cappedAt: number | undefined;
  for (const target of depths) {
    if (performance.now() - loadStarted > loadBudgetMs) {
      cappedAt = target;
      break;
    }
    const endpoint = await createEndpoint(sql, endpointFor(target), "http://127.0.0.1:9/v2");
    const loadStart = performance.now();
    // Each timed claim takes runsPerClaim off the queue: fill for them (and the warm-up) too, so the depth holds.
    const rows = target + rounds * claimsPerDepth * runsPerClaim + warmUpClaims;
    for (let filled = 0; filled < rows; filled += loadChunk) await fillQueue(sql, endpoint, ownerId, Math.min(loadChunk, rows - filled));
    // What autovacuum keeps doing while a real queue grows; without it, autovacuum starts on the freshly loaded tables during the timed claims.
    await sql.unsafe(`vacuum (analyze) pgmq.q_pgpod_${endpoint}`);
    // Untimed claims first: Postgres plans a function's statements afresh for
    // their first five executions on a connection, which no depth should pay for.
    for (let i = 0; i < warmUpClaims; i++) await sql`select pgpod.claim_runs(${endpoint}, 1)`;
    const depth = await queuedCount(sql, endpoint);
    ctx.log(`scale: ${depth} messages queued for depth ${target}`);
    results.push({ target, depth, loadS: (performance.now() - loadStart) / 1000, claimMs: [], markMs: [] });
  }
  await sql`vacuum (analyze) pgpod.jobs`;
  for (let r = 1; r <= rounds; r++) {
    ctx.log(`scale round ${r}/${rounds}: ${claimsPerDepth} claims at each depth`);
    for (const d of results) {
      const roundMs: number[] = [];
      for (let i = 0; i < claimsPerDepth; i++) {
        const claim = await timed(() => sql<{ run_id: string; attempt: number }[]>`
          select run_id, attempt from pgpod.claim_runs(${endpointFor(d.target)}, ${runsPerClaim})`);
        roundMs.push(claim.ms);
        const submissions = claim.value.map((c) => ({ run_id: Number(c.run_id), attempt: c.attempt, runpod_job_id: `bench-${c.run_id}` }));
        d.markMs.push((await timed(() => sql`select pgpod.mark_submitted(${sql.json(submissions)})`)).ms);
      }
      d.claimMs.push(roundMs);
    }
  }
  return { results, cappedAt };
}

export async function scale(ctx: BenchContext): Promise<SectionResult> {
  const { loadBudgetS, rounds, claimsPerDepth } = ctx.sizes;
  const sql = connect(ctx.env, 2);
  let depths: Awaited<ReturnType<typeof claimAtDepths>>;
  try {
    depths = await withDispatcherUnreachable(ctx, sql, () => claimAtDepths(ctx, sql, loadBudgetS * 1000));
    // The bench's own stack is thrown away next; a shared one gets its rows back.
    if (!ctx.exclusive) for (const d of depths.results) await dropEndpoint(sql, endpointFor(d.target));
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
    `Each depth is an endpoint of its own, its pgmq queue filled before any claim is timed; in each of ${rounds} rounds every depth takes its turn of ${claimsPerDepth} claim_runs of ${runsPerClaim} runs, each followed by mark_submitted as the dispatcher does, after ${warmUpClaims} untimed warm-up claims. Depth = messages visible before the timed claims.`,
    "Queues are filled with generate_series inserts into pgpod.jobs (triggers off) and the endpoint's pgmq table, then VACUUM (ANALYZE)d, as autovacuum keeps a queue that grew over time.",
    `Largest vs smallest depth = the ratio of the two depths' claim medians within each round; median (min–max) over rounds. Largest depth reached: ${last.depth}.`,
  ];
  if (depths.cappedAt !== undefined) {
    notes.push(`Depth ${depths.cappedAt} and above were not loaded: they did not fit the ${loadBudgetS} s loading budget on this machine.`);
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
