// `npm run demo`: starts a local stack of its own, sends a realistic mix of
// jobs through the Data API as users signed in through Auth, who watch them
// through Realtime, shows progress
// while the real mechanisms (insert kicks and pg_cron) drive them through the
// emulated RunPod, and checks that every job ended as it should and that its
// owner, and only its owner, saw it end.
import postgres from "postgres";
import { stackEnv, type StackConfig } from "../local/stack/config.ts";
import { start, stop } from "../local/stack/stack.ts";
import { onStopSignal } from "../local/stop-signals.ts";
import { parseOptions, usage, type DemoOptions } from "./demo/options.ts";
import { findProblems, readJobs, type Problem } from "./demo/outcome.ts";
import { finalStatuses, progressDisplay, type Snapshot, type Status } from "./demo/progress.ts";
import { settle, watchJobs, watchProblems, type RealtimeWatch } from "./demo/realtime.ts";
import { planScenario } from "./demo/scenario.ts";
import { imageResultsOk, readImageResults } from "./demo/image-results.ts";
import { fetchSignedUrls } from "./demo/signed-urls.ts";
import { formatSummary, readSummary } from "./demo/summary.ts";
import { sendTraffic, type Traffic } from "./demo/traffic.ts";
import { signInUsers, signOutUsers, type DemoUser } from "./demo/users.ts";
import { appUrls, defaultAppPort } from "../app/server/urls.ts";

const say = (line: string) => process.stdout.write(`${line}\n`);
const pollMs = 500;

function stackFlags(c: StackConfig): string {
  return `--state-dir ${c.stateDir} --db-port ${c.dbPort} --api-port ${c.apiPort} --runpod-port ${c.runpodPort}`;
}

async function statusCounts(sql: postgres.Sql, traffic: Traffic): Promise<Partial<Record<Status, number>>> {
  const rows = await sql<{ status: Status; n: number }[]>`
    select status, count(*)::int as n from pgpod.jobs where id = any(${traffic.jobs.map((j) => j.id)}::uuid[]) group by status`;
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** Shows progress until every job has ended or the time is up. */
async function watch(sql: postgres.Sql, traffic: Traffic, planned: number, timeoutMs: number) {
  const display = progressDisplay(process.stdout);
  const startedAt = Date.now();
  let sent = false;
  void traffic.done.then(() => { sent = true; });
  let sentAt = startedAt;
  for (;;) {
    const counts = await statusCounts(sql, traffic);
    const snapshot: Snapshot = { planned, counts, elapsedMs: Date.now() - startedAt };
    const finished = finalStatuses.reduce((sum, s) => sum + (counts[s] ?? 0), 0);
    if (sent && sentAt === startedAt) sentAt = Date.now();
    if ((sent && finished === traffic.jobs.length) || snapshot.elapsedMs > timeoutMs) {
      display.finish(snapshot);
      return { submittedS: (sentAt - startedAt) / 1000, finishedS: snapshot.elapsedMs / 1000, timedOut: !(sent && finished === traffic.jobs.length) };
    }
    display.update(snapshot);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

async function runScenario(options: DemoOptions): Promise<number> {
  const env = await stackEnv(options.stack);
  const sql = postgres(env.SUPABASE_DB_URL, { max: 8, onnotice: () => {} });
  let realtime: RealtimeWatch | undefined;
  let users: DemoUser[] = [];
  try {
    users = await signInUsers(env);
    // Every user watches their own jobs through Realtime with the client SDK.
    realtime = watchJobs(users);
    const steps = planScenario(options.jobs);
    const planned = steps.reduce((sum, s) => sum + s.jobs, 0);
    say(`submitting ${planned} jobs as ${users.map((u) => u.email).join(", ")} over ${options.durationS} s ` +
      "(images, documents to transcribe, flaky jobs, a direct upload, a job to cancel)");
    const traffic = sendTraffic(users, steps, options.durationS * 1000);
    const timing = await watch(sql, traffic, planned, options.timeoutS * 1000);
    if (timing.timedOut) say(`stopped waiting after ${options.timeoutS} s`);

    const rows = await readJobs(sql, traffic.jobs);
    const problems: Problem[] = findProblems(traffic.jobs, rows);
    const finalStatus = new Map([...rows.values()].filter((r) => finalStatuses.includes(r.status)).map((r) => [r.id, r.status]));
    const seen = await settle(realtime, finalStatus, 10_000);
    const realtimeProblems = watchProblems(realtime, traffic.jobs, finalStatus, seen);
    const data = await readSummary(sql, traffic.jobs, options.stack.stateDir, seen);
    const fetched = await fetchSignedUrls(sql, users, traffic.jobs.map((j) => j.id));
    const images = await readImageResults(sql, traffic.jobs.map((j) => j.id));
    const [{ bucket }] = await sql<{ bucket: string }[]>`select output_bucket as bucket from pgpod.endpoints where name = 'image'`;
    say(formatSummary(data, fetched, images, problems, { users: users.length, ...timing, stateDir: options.stack.stateDir, bucket, viaDataApi: traffic.jobs }, realtimeProblems));
    for (const f of traffic.failures) say(`  submission failed (${f.step.label}): ${f.error}`);
    const ok = problems.length === 0 && realtimeProblems.length === 0 && traffic.failures.length === 0 &&
      fetched.length > 0 && fetched.every((f) => f.ok) && imageResultsOk(images);
    return ok ? 0 : 1;
  } finally {
    await realtime?.stop();
    await signOutUsers(users);
    await sql.end({ timeout: 5 });
  }
}

export async function main(args: string[]): Promise<number> {
  const options = await parseOptions(args);
  if (options === "help") {
    say(usage);
    return 0;
  }
  const stack = options.stack;
  let stopping: Promise<void> | undefined;
  const shutdown = () => (stopping ??= options.keep ? Promise.resolve() : stop(stack));
  onStopSignal(async () => {
    process.stdout.write("\ninterrupted");
    say(options.keep ? `; the stack keeps running (${stackFlags(stack)})` : ", stopping the demo stack");
    await shutdown();
  });

  say(`starting the demo stack in ${stack.stateDir} (API :${stack.apiPort}, DB :${stack.dbPort}, RunPod emulator :${stack.runpodPort})`);
  try {
    await start(stack);
    return await runScenario(options);
  } finally {
    if (options.keep) {
      say(`\nthe stack keeps running: npm run -s stack -- env ${stackFlags(stack)}`);
      say(`stop it with: npm run stack -- stop --state-dir ${stack.stateDir}`);
      const urls = appUrls(`http://127.0.0.1:${defaultAppPort}/`);
      say(`see its jobs in the browser: npm run app -- --state-dir ${stack.stateDir}\n  web app:  ${urls.app}\n  ops page: ${urls.ops}`);
    } else {
      await shutdown();
    }
  }
}
