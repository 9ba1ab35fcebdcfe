// Section 5: does claiming get slower as the queue grows, and how much memory
// does the webhook function need for a large base64 output?
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startFunctionProcess } from "../local/gateway/function-process.ts";
import { repoRoot } from "../local/stack/config.ts";
import { webhookTokens } from "../supabase/functions/_shared/tokens.ts";
import { type BenchContext, connect, createEndpoint, createUser, dropEndpoint, dispatcherNote, sharedStackNote, type Sql, sleep, withDispatcherUnreachable } from "./context.ts";
import { runsPerClaim } from "./queue-core.ts";
import { median, percentile, ratio, round, type SectionResult, timed } from "./report.ts";

/** Rows inserted per statement while filling the queue. */
const loadChunk = 100_000;
const warmUpClaims = 6;

interface DepthResult {
  target: number;
  depth: number;
  loadS: number;
  claimMs: number[];
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
  const results: DepthResult[] = [];
  const loadStarted = performance.now();
  const ownerId = await createUser(sql);
  // Untimed claims first: Postgres plans a function's statements afresh for
  // their first five executions on a connection, which no depth should pay for.
  await fillQueue(sql, endpoint, ownerId, warmUpClaims);
  for (let i = 0; i < warmUpClaims; i++) await sql`select pgpod.claim_runs(${endpoint}, 1)`;
  let depth = 0;
  for (const target of ctx.sizes.depths) {
    const loadStart = performance.now();
    let outOfTime = false;
    while (depth < target) {
      if (performance.now() - loadStarted > loadBudgetMs) {
        outOfTime = true;
        break;
      }
      const rows = Math.min(loadChunk, target - depth);
      await fillQueue(sql, endpoint, ownerId, rows);
      depth += rows;
    }
    await sql.unsafe(`analyze pgpod.jobs, pgmq.q_pgpod_${endpoint}`);
    const loadS = (performance.now() - loadStart) / 1000;
    depth = await queuedCount(sql, endpoint);
    ctx.log(`scale: ${depth} messages queued (target ${target}), timing ${ctx.sizes.claimsPerDepth} claims`);
    const claimMs: number[] = [];
    const markMs: number[] = [];
    for (let i = 0; i < ctx.sizes.claimsPerDepth; i++) {
      const claim = await timed(() => sql<{ run_id: string; attempt: number }[]>`
        select run_id, attempt from pgpod.claim_runs(${endpoint}, ${runsPerClaim})`);
      claimMs.push(claim.ms);
      const submissions = claim.value.map((r) => ({ run_id: Number(r.run_id), attempt: r.attempt, runpod_job_id: `bench-${r.run_id}` }));
      markMs.push((await timed(() => sql`select pgpod.mark_submitted(${sql.json(submissions)})`)).ms);
    }
    results.push({ target, depth, loadS, claimMs, markMs });
    depth = await queuedCount(sql, endpoint);
    if (outOfTime) return { results, cappedAt: target };
  }
  return { results };
}

function memoryKiB(pid: number, field: "VmRSS" | "VmHWM"): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]);
}

interface WebhookMemory {
  base64MiB: number;
  rawMiB: number;
  idleMiB: number;
  peakMiB: number;
  status: number;
  stored: boolean;
}

/**
 * Runs pgpod-webhook under Deno the way the stack's gateway does, alone in
 * its own process, and posts it one completed run whose output carries a file
 * of `base64MiB` MiB of base64. Peak RSS is the kernel's high-water mark.
 */
async function webhookPeakMemory(ctx: BenchContext, sql: Sql): Promise<WebhookMemory> {
  const base64MiB = ctx.sizes.webhookMiB;
  const endpoint = await createEndpoint(sql, "bench_webhook", "http://127.0.0.1:9/v2");
  // Enqueued hidden and revealed just before the claim, so a dispatcher kicked by the insert finds nothing.
  const [job] = await sql<{ id: string }[]>`
    insert into pgpod.jobs (endpoint, input, run_after) values (${endpoint}, '{}', now() + interval '1 hour') returning id`;
  await sql.unsafe(`update pgmq.q_pgpod_${endpoint} set vt = clock_timestamp()`);
  const [run] = await sql<{ run_id: string; attempt: number }[]>`select run_id, attempt from pgpod.claim_runs(${endpoint}, 1)`;
  if (!run) throw new Error("scale: the webhook memory job was claimed by someone else");
  const runpodJobId = `bench-memory-${run.run_id}`;
  await sql`select pgpod.mark_submitted(${sql.json([{ run_id: Number(run.run_id), attempt: run.attempt, runpod_job_id: runpodJobId }])})`;

  const fn = await startFunctionProcess({
    dir: join(repoRoot, "supabase", "functions", "pgpod-webhook"),
    env: {
      SUPABASE_URL: ctx.env.SUPABASE_URL,
      SUPABASE_DB_URL: ctx.env.SUPABASE_DB_URL,
      SUPABASE_SERVICE_ROLE_KEY: ctx.env.SUPABASE_SERVICE_ROLE_KEY,
      PGPOD_WEBHOOK_SECRET: ctx.env.PGPOD_WEBHOOK_SECRET,
    },
  });
  const { child, port } = fn;
  try {
    await fn.ready;
    await sleep(200);
    const idleKiB = memoryKiB(child.pid!, "VmRSS");
    const raw = randomBytes(Math.round((base64MiB * 1024 * 1024 * 3) / 4));
    const body = JSON.stringify({
      id: runpodJobId,
      status: "COMPLETED",
      delayTime: 1,
      executionTime: 1,
      output: { files: [{ filename: "large.bin", content_type: "application/octet-stream", data: raw.toString("base64") }] },
    });
    const sig = await webhookTokens(ctx.env.PGPOD_WEBHOOK_SECRET).sign(run.run_id, run.attempt);
    const res = await fetch(`http://127.0.0.1:${port}/?run=${run.run_id}&attempt=${run.attempt}&sig=${sig}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    const answer = await res.text();
    if (res.status !== 200) ctx.log(`scale: pgpod-webhook answered ${res.status}: ${answer.slice(0, 300)} ${fn.output().slice(-500)}`);
    const peakKiB = memoryKiB(child.pid!, "VmHWM");
    const [file] = await sql<{ size: string }[]>`
      select f.size from pgpod.job_files f join pgpod.jobs j on j.id = f.job_id
      where f.job_id = ${job.id} and j.status = 'succeeded'`;
    return {
      base64MiB,
      rawMiB: raw.length / 1024 / 1024,
      idleMiB: idleKiB / 1024,
      peakMiB: peakKiB / 1024,
      status: res.status,
      stored: file !== undefined && Number(file.size) === raw.length,
    };
  } finally {
    await fn.stop();
  }
}

export async function scale(ctx: BenchContext): Promise<SectionResult> {
  const { loadBudgetS } = ctx.sizes;
  const sql = connect(ctx.env, 2);
  try {
    const endpoint = await createEndpoint(sql, "bench_scale", "http://127.0.0.1:9/v2");
    const { depths, memory } = await withDispatcherUnreachable(ctx, sql, async () => ({
      depths: await claimAtDepths(ctx, sql, endpoint, loadBudgetS * 1000),
      memory: await webhookPeakMemory(ctx, sql),
    }));
    // The bench's own stack is thrown away next; a shared one gets its rows back.
    if (!ctx.exclusive) {
      await dropEndpoint(sql, endpoint);
      await dropEndpoint(sql, "bench_webhook");
    }

    const base = median(depths.results[0]?.claimMs ?? []);
    const notes = [
      ctx.exclusive ? dispatcherNote : sharedStackNote,
      `Depth = messages visible in the endpoint's pgmq queue before the timed claims (${ctx.sizes.claimsPerDepth} claim_runs of ${runsPerClaim} runs, each followed by mark_submitted, as the dispatcher does), after ${warmUpClaims} untimed warm-up claims on the same connection.`,
      "The queue is filled with generate_series inserts into pgpod.jobs (triggers off) and the endpoint's pgmq table, then ANALYZEd.",
    ];
    if (depths.cappedAt !== undefined) {
      const reached = depths.results[depths.results.length - 1].depth;
      notes.push(`Loading stopped at ${reached} messages: ${depths.cappedAt} did not fit the ${loadBudgetS} s loading budget on this machine.`);
    }
    notes.push(`Webhook: pgpod-webhook alone under Deno (as the stack's gateway runs it), one COMPLETED body whose output has one file of ${memory.base64MiB} MiB base64 (${round(memory.rawMiB)} MiB decoded); peak = VmHWM from /proc. Supabase's Edge Function limit is 256 MB.`);
    return {
      id: "scale",
      title: "5. Scale",
      settings: { depths: ctx.sizes.depths.join("/"), claims_per_depth: ctx.sizes.claimsPerDepth, runs_per_claim: runsPerClaim, load_budget_s: loadBudgetS, webhook_base64_mib: memory.base64MiB },
      tables: [
        {
          title: "claim_runs time by queue depth",
          columns: ["depth (target)", "load s", "claim p50 ms", "claim p95 ms", "ms per claimed job", "mark p50 ms", "claim vs smallest depth"],
          rows: depths.results.map((d) => [
            `${d.depth} (${d.target})`,
            round(d.loadS),
            round(median(d.claimMs)),
            round(percentile(d.claimMs, 95)),
            round((median(d.claimMs) ?? 0) / runsPerClaim),
            round(median(d.markMs)),
            ratio(median(d.claimMs), base),
          ]),
        },
        {
          title: "pgpod-webhook memory for a large base64 output",
          columns: ["base64 MiB", "decoded MiB", "answer", "stored intact", "RSS idle MiB", "peak RSS MiB", "peak − idle MiB", "(peak − idle) / base64 size"],
          rows: [[memory.base64MiB, round(memory.rawMiB), memory.status, memory.stored ? "yes" : "no", round(memory.idleMiB), round(memory.peakMiB),
            round(memory.peakMiB - memory.idleMiB), ratio(memory.peakMiB - memory.idleMiB, memory.base64MiB)]],
        },
      ],
      notes,
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
