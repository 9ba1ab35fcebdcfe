// Section 6: how much memory pgpod-webhook needs for a large base64 output.
// Each round runs the function under Deno alone in a fresh process, the way
// the stack's gateway does, and posts it one completed run whose output
// carries a file of `webhookMiB` MiB of base64. Peak RSS is the kernel's
// high-water mark.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startFunctionProcess } from "../local/gateway/function-process.ts";
import { repoRoot } from "../local/stack/config.ts";
import { webhookTokens } from "../supabase/functions/_shared/tokens.ts";
import { type BenchContext, connect, createEndpoint, dropEndpoint, sleep, type Sql, withDispatcherUnreachable } from "./context.ts";
import { round, type SectionResult, spread, summarize, times } from "./report.ts";

function memoryKiB(pid: number, field: "VmRSS" | "VmHWM"): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]);
}

interface WebhookMemory {
  bodyMiB: number;
  idleMiB: number;
  peakMiB: number;
  status: number;
  stored: boolean;
}

async function webhookPeakMemory(ctx: BenchContext, sql: Sql, endpoint: string): Promise<WebhookMemory> {
  // Enqueued hidden and revealed in the claim's own transaction, so a dispatcher kicked by the insert never sees it.
  const [job] = await sql<{ id: string }[]>`
    insert into pgpod.jobs (endpoint, input, run_after) values (${endpoint}, '{}', now() + interval '1 hour') returning id`;
  const [run] = await sql.begin(async (tx) => {
    await tx.unsafe(`update pgmq.q_pgpod_${endpoint} set vt = now()`);
    return await tx<{ run_id: string; attempt: number }[]>`select run_id, attempt from pgpod.claim_runs(${endpoint}, 1)`;
  });
  if (!run) throw new Error("webhook memory: claim_runs found no job to claim");
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
    const raw = randomBytes(Math.round((ctx.sizes.webhookMiB * 1024 * 1024 * 3) / 4));
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
    if (res.status !== 200) ctx.log(`webhook memory: pgpod-webhook answered ${res.status}: ${answer.slice(0, 300)} ${fn.output().slice(-500)}`);
    const peakKiB = memoryKiB(child.pid!, "VmHWM");
    const [file] = await sql<{ size: string }[]>`
      select f.size from pgpod.job_files f join pgpod.jobs j on j.id = f.job_id
      where f.job_id = ${job.id} and j.status = 'succeeded'`;
    return {
      bodyMiB: Buffer.byteLength(body) / 1024 / 1024,
      idleMiB: idleKiB / 1024,
      peakMiB: peakKiB / 1024,
      status: res.status,
      stored: file !== undefined && Number(file.size) === raw.length,
    };
  } finally {
    await fn.stop();
  }
}

export async function webhookMemory(ctx: BenchContext): Promise<SectionResult> {
  const { rounds, webhookMiB } = ctx.sizes;
  const sql = connect(ctx.env, 2);
  const runs: WebhookMemory[] = [];
  try {
    const endpoint = await createEndpoint(sql, "bench_webhook", "http://127.0.0.1:9/v2");
    await withDispatcherUnreachable(ctx, sql, async () => {
      for (let round = 1; round <= rounds; round++) {
        ctx.log(`webhook memory round ${round}/${rounds}: one ${webhookMiB} MiB base64 output`);
        runs.push(await webhookPeakMemory(ctx, sql, endpoint));
      }
    });
    if (!ctx.exclusive) await dropEndpoint(sql, endpoint);
  } finally {
    await sql.end({ timeout: 5 });
  }
  const multiple = summarize(runs.map((r) => (r.peakMiB - r.idleMiB) / r.bodyMiB));
  return {
    id: "webhook-memory",
    title: "6. pgpod-webhook memory for a large base64 output",
    settings: { rounds, base64_mib: webhookMiB },
    tables: [{
      title: "One COMPLETED body per round, each in a fresh function process",
      columns: ["round", "body MiB", "answer", "stored intact", "RSS idle MiB", "peak RSS MiB", "peak − idle MiB", "(peak − idle) / body"],
      rows: runs.map((r, i) => [i + 1, round(r.bodyMiB), r.status, r.stored ? "yes" : "no", round(r.idleMiB), round(r.peakMiB),
        round(r.peakMiB - r.idleMiB), times((r.peakMiB - r.idleMiB) / r.bodyMiB)]),
    }, {
      title: "Peak over idle as a multiple of the body, median (min–max)",
      columns: ["measure", "value"],
      rows: [["(peak − idle) / body size", spread(multiple, times)]],
    }],
    notes: [
      "pgpod-webhook runs alone under Deno, as the stack's gateway runs it; peak = VmHWM from /proc after the answer. Supabase's Edge Function limit is 256 MB.",
      "Body = the whole JSON the webhook receives (the base64 text plus a few fields).",
    ],
    figures: { "webhook.peak_over_body": multiple, "webhook.peak_mib": summarize(runs.map((r) => r.peakMiB)) },
  };
}
