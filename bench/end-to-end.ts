// Section 4: the whole pipeline over HTTP on the running stack. An
// authenticated user inserts jobs at a steady rate; each insert kicks
// pgpod-dispatch through pg_net, which submits to the RunPod emulator's noop
// worker (one small output file); its webhook reaches pgpod-webhook, which
// stores the file in Storage and completes the job.
import { actAsUser, type BenchContext, concurrently, connect, createEndpoint, createUser, dropEndpoint, sleep } from "./context.ts";
import { startRunpodRelay } from "./relay.ts";
import { percentile, perSecond, round, type SectionResult } from "./report.ts";

interface JobTiming {
  status: string;
  run_id: string | null;
  created: number;
  submitted: number | null;
  finished: number | null;
  files: number;
}

function latencyRow(name: string, values: number[]) {
  const p = (q: number) => round(percentile(values, q));
  return [name, values.length, p(50), p(95), p(99), p(100)];
}

export async function endToEnd(ctx: BenchContext): Promise<SectionResult> {
  const { concurrency, e2eRate, e2eSeconds, cronEveryS } = ctx.sizes;
  const cronEveryMs = cronEveryS * 1000;
  const total = e2eRate * e2eSeconds;
  const sql = connect(ctx.env, concurrency + 1);
  const relay = await startRunpodRelay(ctx.env.RUNPOD_EMULATOR_URL);
  let cron: NodeJS.Timeout | undefined;
  const endpoint = "bench_e2e";
  try {
    await createEndpoint(sql, endpoint, relay.apiBase);
    const userId = await createUser(sql);
    cron = setInterval(() => void sql`select pgpod.kick_dispatcher('cron', true)`.catch(() => undefined), cronEveryMs);

    ctx.log(`end to end: ${total} jobs at ${e2eRate}/s from ${concurrency} clients, through dispatch, emulator and webhook`);
    let startedAt = 0;
    await concurrently(
      sql, concurrency, total,
      async (conn, i) => {
        if (i === 0) startedAt = performance.now();
        const wait = startedAt + (i * 1000) / e2eRate - performance.now();
        if (wait > 0) await sleep(wait);
        await conn`insert into pgpod.jobs (endpoint, input) values (${endpoint}, ${conn.json({ file: true, n: i })})`;
      },
      (conn) => actAsUser(conn, userId),
    );

    const deadline = Date.now() + Math.max(30_000, e2eSeconds * 4000);
    for (;;) {
      const [{ open }] = await sql<{ open: number }[]>`
        select count(*)::int as open from pgpod.jobs
        where endpoint = ${endpoint} and status not in ('succeeded', 'failed', 'cancelled')`;
      if (open === 0 || Date.now() > deadline) break;
      await sleep(100);
    }

    const rows = await sql<JobTiming[]>`
      select j.status, j.run_id::text as run_id,
             extract(epoch from j.created_at) * 1000 as created,
             extract(epoch from r.submitted_at) * 1000 as submitted,
             extract(epoch from j.finished_at) * 1000 as finished,
             (select count(*)::int from pgpod.job_files f where f.job_id = j.id) as files
      from pgpod.jobs j left join pgpod.runs r on r.id = j.run_id
      where j.endpoint = ${endpoint}`;
    const done = rows.filter((r) => r.status === "succeeded" && r.files === 1);
    const num = (v: number | null) => (v === null ? null : Number(v));
    const diffs = (pick: (r: JobTiming) => [number | null, number | null]) =>
      done.map(pick).flatMap(([a, b]) => (a === null || b === null ? [] : [b - a]));
    const insertToRunReceived = diffs((r) => [num(r.created), relay.runReceivedAt.get(r.run_id ?? "") ?? null]);
    const insertToSubmitted = diffs((r) => [num(r.created), num(r.submitted)]);
    const webhookToUpdated = diffs((r) => [relay.webhookReceivedAt.get(r.run_id ?? "") ?? null, num(r.finished)]);
    const insertToFinished = diffs((r) => [num(r.created), num(r.finished)]);
    const firstInsert = Math.min(...rows.map((r) => Number(r.created)));
    const lastFinish = Math.max(...done.map((r) => Number(r.finished)));
    const spanMs = done.length > 0 ? lastFinish - firstInsert : 0;

    return {
      id: "end-to-end",
      title: "4. End to end through HTTP",
      settings: { jobs: total, rate_per_s: e2eRate, seconds: e2eSeconds, clients: concurrency, worker: "emulator noop, 8 workers, one output file", cron_every_s: cronEveryS },
      tables: [
        {
          title: "Throughput",
          columns: ["jobs inserted", "succeeded with 1 file in Storage", "first insert → last finish (s)", "jobs/s", "offered jobs/s"],
          rows: [[total, done.length, round(spanMs / 1000), round(perSecond(done.length, spanMs)), e2eRate]],
        },
        {
          title: "Latency (ms)",
          columns: ["interval", "jobs", "p50", "p95", "p99", "max"],
          rows: [
            latencyRow("insert → /run received (jobs.created_at → relay)", insertToRunReceived),
            latencyRow("insert → /run accepted and recorded (jobs.created_at → runs.submitted_at)", insertToSubmitted),
            latencyRow("webhook received → job updated (relay → jobs.finished_at)", webhookToUpdated),
            latencyRow("insert → finished (jobs.created_at → jobs.finished_at)", insertToFinished),
          ],
        },
      ],
      notes: [
        "Dispatch is driven by the insert kick (at most one per settings.kick_debounce_ms = 1 s; each dispatcher claims round after round, up to 50 runs per endpoint a round, and waits out the kick window) " +
          `plus a cron kick every ${cronEveryS} s that this bench sends itself, as Supabase's pg_cron 1.5 does every 10 s: the local pg_cron 1.4 has no seconds schedules.`,
        "Webhook arrival is timed by a pass-through between pgpod and the emulator (bench/relay.ts) that adds one local HTTP hop to /run and to the webhook.",
        "jobs.finished_at is now() of complete_run's transaction: after the file is in Storage, when the job row is written.",
      ],
    };
  } finally {
    if (cron) clearInterval(cron);
    // The bench's own stack is thrown away; a shared one loses the endpoint that points at the closed relay.
    if (!ctx.exclusive) await dropEndpoint(sql, endpoint);
    await relay.close();
    await sql.end({ timeout: 5 });
  }
}
