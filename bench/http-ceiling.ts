// Section 4: the whole pipeline over HTTP, and how fast it can go. An
// authenticated user inserts jobs at an offered rate, spread over several
// RunPod endpoints; each insert kicks pgpod-dispatch through pg_net, which
// submits to a RunPod emulator of the bench's own (noop workers that return
// one small file); the webhook reaches pgpod-webhook, which stores the file
// in Storage and completes the job. The search doubles the rate while the
// probes pass, then bisects; a probe fails when p99 insert → finished
// exceeds 2 s, or any job fails, lacks its file or is not finished in time.
import { type RunpodEmulator, startRunpodEmulator } from "../local/runpod/server.ts";
import { actAsUser, type BenchContext, concurrently, connect, createEndpoint, createUser, dropEndpoint, type Sql, sleep } from "./context.ts";
import { type RunpodRelay, startRunpodRelay } from "./relay.ts";
import { type Cell, percentile, perSecond, round, type SectionResult, spread, summarize, type Summary } from "./report.ts";

/** The pass line of a probe. */
export const maxP99Ms = 2000;
/** How long after its last insert a probe waits for its jobs. */
const settleMs = 5000;

/** Which search a probe belongs to; 0 for the runs at half the ceiling, -1 for the warm-up. */
const halfCeiling = 0;
const warmUp = -1;

interface Probe {
  search: number;
  offered: number;
  inserted: number;
  insertErrors: number;
  achievedPerS: number;
  succeeded: number;
  /** Failed or cancelled jobs, succeeded ones without their file, and failed inserts. */
  errors: number;
  unfinished: number;
  insertToRun: number[];
  insertToFinished: number[];
  pass: boolean;
}

interface Pipeline {
  ctx: BenchContext;
  sql: Sql;
  userId: string;
  emulator: RunpodEmulator;
  relay: RunpodRelay;
  runpodIds: string[];
}

interface JobTiming {
  status: string;
  run_id: string | null;
  created: number;
  finished: number | null;
  files: number;
}

const endpointName = (i: number) => `bench_http_${i + 1}`;

async function startEmulator(ctx: BenchContext, ids: string[]): Promise<RunpodEmulator> {
  const endpoint = { handler: "noop", workers: 8, coldStartMs: 100, idleTimeoutMs: 120_000 };
  return await startRunpodEmulator({
    port: 0,
    apiKey: ctx.env.RUNPOD_API_KEY,
    config: { endpoints: Object.fromEntries(ids.map((id) => [id, endpoint])) },
  });
}

/** Empties the emulator's queues and waits for its running jobs, so a failed probe does not slow the next. */
async function quiesce(p: Pipeline): Promise<void> {
  const headers = { authorization: `Bearer ${p.ctx.env.RUNPOD_API_KEY}` };
  const deadline = Date.now() + 15_000;
  for (const id of p.runpodIds) {
    await fetch(`${p.emulator.url}/v2/${id}/purge-queue`, { method: "POST", headers }).then((r) => r.arrayBuffer());
    while (Date.now() < deadline) {
      const health = (await (await fetch(`${p.emulator.url}/v2/${id}/health`, { headers })).json()) as { jobs: { inQueue: number; inProgress: number } };
      if (health.jobs.inQueue + health.jobs.inProgress === 0) break;
      await sleep(100);
    }
  }
  // Webhooks of the last jobs may still be on their way.
  await sleep(500);
}

async function probe(p: Pipeline, search: number, offered: number): Promise<Probe> {
  const { ctx, sql } = p;
  const { concurrency, ceiling } = ctx.sizes;
  const endpoints = p.runpodIds.map((_, i) => endpointName(i));
  for (const [i, name] of endpoints.entries()) await createEndpoint(sql, name, p.relay.apiBase, p.runpodIds[i]);
  p.relay.runReceivedAt.clear();
  p.relay.webhookReceivedAt.clear();
  const total = Math.max(1, Math.round(offered * ceiling.probeSeconds));
  let insertErrors = 0;
  let firstAt = 0;
  let lastAt = 0;
  try {
    await concurrently(
      sql, concurrency, total,
      async (conn, i) => {
        if (i === 0) firstAt = performance.now();
        const wait = firstAt + (i * 1000) / offered - performance.now();
        if (wait > 0) await sleep(wait);
        try {
          await conn`insert into pgpod.jobs (endpoint, input) values (${endpoints[i % endpoints.length]}, ${conn.json({ file: true, n: i })})`;
        } catch {
          insertErrors++;
        }
        lastAt = performance.now();
      },
      (conn) => actAsUser(conn, p.userId),
    );
    const deadline = Date.now() + settleMs;
    for (;;) {
      const [{ open }] = await sql<{ open: number }[]>`
        select count(*)::int as open from pgpod.jobs
        where endpoint = any(${endpoints}) and status not in ('succeeded', 'failed', 'cancelled')`;
      if (open === 0 || Date.now() > deadline) break;
      await sleep(100);
    }
    const rows = await sql<JobTiming[]>`
      select j.status, j.run_id::text as run_id,
             extract(epoch from j.created_at) * 1000 as created,
             extract(epoch from j.finished_at) * 1000 as finished,
             (select count(*)::int from pgpod.job_files f where f.job_id = j.id) as files
      from pgpod.jobs j where j.endpoint = any(${endpoints})`;
    const done = rows.filter((r) => r.status === "succeeded" && r.files === 1);
    const finished = rows.filter((r) => ["succeeded", "failed", "cancelled"].includes(r.status));
    const insertToRun = done.flatMap((r) => {
      const at = p.relay.runReceivedAt.get(r.run_id ?? "");
      return at === undefined ? [] : [at - Number(r.created)];
    });
    // Jobs not finished by the deadline count as over the line.
    const insertToFinished = [
      ...finished.map((r) => Number(r.finished) - Number(r.created)),
      ...Array.from({ length: rows.length - finished.length }, () => Number.POSITIVE_INFINITY),
    ];
    const errors = finished.length - done.length + insertErrors;
    const unfinished = rows.length - finished.length;
    const p99 = percentile(insertToFinished, 99);
    const result: Probe = {
      search, offered, inserted: rows.length, insertErrors,
      achievedPerS: perSecond(Math.max(0, total - 1), lastAt - firstAt),
      succeeded: done.length, errors, unfinished, insertToRun, insertToFinished,
      pass: errors === 0 && unfinished === 0 && p99 !== null && p99 <= maxP99Ms,
    };
    ctx.log(`http ${search === halfCeiling ? "half ceiling" : search === warmUp ? "warm-up" : `search ${search}`}: ${offered} jobs/s offered, ${done.length}/${total} done, p99 insert → finished ` +
      `${p99 === null || !Number.isFinite(p99) ? "over the deadline" : `${Math.round(p99)} ms`}: ${result.pass ? "pass" : "fail"}`);
    return result;
  } finally {
    for (const name of endpoints) await dropEndpoint(sql, name);
    await quiesce(p);
  }
}

/** Doubles from startRate while probes pass, then bisects between the last pass and the first failure. */
async function search(p: Pipeline, n: number, probes: Probe[]): Promise<number> {
  const { startRate, maxRate, bisections } = p.ctx.sizes.ceiling;
  let lo = 0;
  let hi: number | null = null;
  for (let rate = startRate; rate <= maxRate; rate *= 2) {
    const result = await probe(p, n, rate);
    probes.push(result);
    if (!result.pass) {
      hi = rate;
      break;
    }
    lo = rate;
  }
  for (let b = 0; hi !== null && b < bisections; b++) {
    const step = hi - lo > 40 ? 10 : 1;
    const mid = Math.round((lo + hi) / 2 / step) * step;
    if (mid <= lo || mid >= hi) break;
    const result = await probe(p, n, mid);
    probes.push(result);
    if (result.pass) lo = mid;
    else hi = mid;
  }
  return lo;
}

const ms = (values: number[], q: number) => {
  const v = percentile(values, q);
  return v === null || !Number.isFinite(v) ? Number.NaN : v;
};

export async function httpCeiling(ctx: BenchContext): Promise<SectionResult> {
  const { ceiling, cronEveryS, concurrency } = ctx.sizes;
  const runpodIds = Array.from({ length: ceiling.endpoints }, (_, i) => `noop-${i + 1}`);
  const sql = connect(ctx.env, concurrency + 1);
  const emulator = await startEmulator(ctx, runpodIds);
  const relay = await startRunpodRelay(emulator.url);
  // Supabase's pg_cron 1.5 kicks every 10 s; the local pg_cron 1.4 has no seconds schedules.
  const cron = setInterval(() => void sql`select pgpod.kick_dispatcher('cron', true)`.catch(() => undefined), cronEveryS * 1000);
  const probes: Probe[] = [];
  const ceilings: number[] = [];
  const half: Probe[] = [];
  try {
    const p: Pipeline = { ctx, sql, userId: await createUser(sql), emulator, relay, runpodIds };
    // Untimed: the functions' first requests, the emulator's cold workers and the first plans are nobody's ceiling.
    ctx.log(`http warm-up: ${Math.round(ceiling.startRate / 2)} jobs/s`);
    probes.push(await probe(p, warmUp, Math.round(ceiling.startRate / 2)));
    for (let n = 1; n <= ceiling.searches; n++) {
      ctx.log(`http search ${n}/${ceiling.searches}: from ${ceiling.startRate} jobs/s, doubling up to ${ceiling.maxRate}, then ${ceiling.bisections} bisections`);
      ceilings.push(await search(p, n, probes));
    }
    const found = summarize(ceilings).median ?? 0;
    const halfRate = Math.max(1, Math.round((found > 0 ? found : ceiling.startRate / 2) / 2));
    for (let run = 1; run <= ceiling.halfCeilingRuns; run++) {
      ctx.log(`http half ceiling ${run}/${ceiling.halfCeilingRuns}: ${halfRate} jobs/s`);
      half.push(await probe(p, halfCeiling, halfRate));
    }
  } finally {
    clearInterval(cron);
    await relay.close();
    await emulator.close();
    await sql.end({ timeout: 5 });
  }

  const figures: Record<string, Summary> = {
    "http.ceiling_per_s": summarize(ceilings),
    "http.half.rate_per_s": summarize(half.map((h) => h.offered)),
    "http.half.insert_to_run_p50_ms": summarize(half.map((h) => ms(h.insertToRun, 50))),
    "http.half.insert_to_run_p99_ms": summarize(half.map((h) => ms(h.insertToRun, 99))),
    "http.half.insert_to_finished_p50_ms": summarize(half.map((h) => ms(h.insertToFinished, 50))),
    "http.half.insert_to_finished_p99_ms": summarize(half.map((h) => ms(h.insertToFinished, 99))),
  };
  const reachedMax = ceilings.some((c) => c * 2 > ceiling.maxRate);
  const ceilingText = figures["http.ceiling_per_s"].max === 0
    ? `below every probed rate (no probe passed)`
    : `${spread(figures["http.ceiling_per_s"])}${reachedMax ? " (the search's maximum)" : ""}`;
  const probeRow = (pr: Probe): Cell[] => [
    pr.search === halfCeiling ? "half ceiling" : pr.search === warmUp ? "warm-up (not counted)" : pr.search, pr.offered, round(pr.achievedPerS), pr.inserted, pr.succeeded, pr.errors, pr.unfinished,
    round(ms(pr.insertToRun, 50)), round(ms(pr.insertToFinished, 50)), round(ms(pr.insertToFinished, 99)), pr.pass ? "pass" : "fail",
  ];
  return {
    id: "http",
    title: "4. HTTP path: ceiling and latency",
    settings: {
      searches: ceiling.searches, start_rate: ceiling.startRate, max_rate: ceiling.maxRate, probe_s: ceiling.probeSeconds, bisections: ceiling.bisections,
      runpod_endpoints: ceiling.endpoints, clients: concurrency, worker: "emulator noop, 8 workers per endpoint, one output file", cron_every_s: cronEveryS,
    },
    tables: [
      {
        title: `Ceiling and latency at half of it, median (min–max) over ${ceiling.searches} searches and ${ceiling.halfCeilingRuns} runs`,
        columns: ["measure", "value"],
        rows: [
          ["ceiling, jobs/s (highest passing offered rate)", ceilingText],
          ["half-ceiling rate, jobs/s", spread(figures["http.half.rate_per_s"])],
          ["insert → /run received p50, ms", spread(figures["http.half.insert_to_run_p50_ms"])],
          ["insert → /run received p99, ms", spread(figures["http.half.insert_to_run_p99_ms"])],
          ["insert → finished p50, ms", spread(figures["http.half.insert_to_finished_p50_ms"])],
          ["insert → finished p99, ms", spread(figures["http.half.insert_to_finished_p99_ms"])],
        ],
      },
      {
        title: "Every probe",
        columns: ["search", "offered jobs/s", "inserted jobs/s", "jobs", "succeeded with file", "errors", "unfinished", "insert → /run p50 ms", "insert → finished p50 ms", "p99 ms", "verdict"],
        rows: [...probes, ...half].map(probeRow),
      },
    ],
    notes: [
      `A probe inserts offered × ${ceiling.probeSeconds} s jobs round-robin over ${ceiling.endpoints} endpoints (RunPod allows 100 /run per second per endpoint), waits up to ${settleMs / 1000} s after the last insert, ` +
        `and passes when every job succeeded with its file in Storage and p99 insert → finished ≤ ${maxP99Ms} ms; unfinished jobs count as over the line. Each probe starts on fresh endpoints with the emulator's queues empty; ` +
        "one untimed warm-up probe at half the start rate runs first.",
      "Dispatch is driven by the insert kick (at most one per settings.kick_debounce_ms = 1 s; each dispatcher claims round after round, up to 50 runs per endpoint a round) " +
        `plus a cron kick every ${cronEveryS} s that this bench sends itself, as Supabase's pg_cron 1.5 does every 10 s.`,
      "The RunPod emulator is the bench's own, in the bench process, with one noop endpoint per pgpod endpoint; /run and webhook arrival are timed by a pass-through (bench/relay.ts) that adds one local HTTP hop to each.",
      "jobs.finished_at is now() of the transaction that records the delivery (complete_runs): after the file is in Storage.",
    ],
    figures,
  };
}
