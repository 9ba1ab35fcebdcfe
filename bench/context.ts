// What every section gets: the stack's settings, its sizes, and the few
// database moves they share (users, endpoints, concurrent clients, keeping
// the real dispatcher away from SQL-only measurements).
import postgres from "postgres";

export type Sql = postgres.Sql;

export interface BenchEnv {
  SUPABASE_URL: string;
  SUPABASE_DB_URL: string;
  SUPABASE_SERVICE_ROLE_KEY: string;
  RUNPOD_EMULATOR_URL: string;
  RUNPOD_API_KEY: string;
  PGPOD_WEBHOOK_SECRET: string;
}

export interface CeilingSizes {
  /** Offered rate of the first probe, jobs/s; doubled while probes pass. */
  startRate: number;
  /** No probe offers more than this. */
  maxRate: number;
  /** Seconds each probe inserts for. */
  probeSeconds: number;
  /** Bisections between the last passing and the first failing rate. */
  bisections: number;
  /** Independent searches, each from startRate. */
  searches: number;
  /** Runs at half the ceiling, for the insert → /run latency. */
  halfCeilingRuns: number;
  /** RunPod endpoints the jobs are spread over (RunPod allows 100 /run per second each). */
  endpoints: number;
}

export interface Sizes {
  /** Concurrent clients for single-row inserts. */
  concurrency: number;
  /** Jobs each system processes per round in the queue section (enqueued one call at a time, then the rest in one call). */
  jobs: number;
  /** How many of them are enqueued one call at a time. */
  singleRowJobs: number;
  /** Rows per round in the physical reference. */
  physicalRows: number;
  /** Rounds of every repeated measurement; systems take turns within a round. */
  rounds: number;
  /** Longest a worker process may take to process one step's jobs. */
  drainTimeoutS: number;
  ceiling: CeilingSizes;
  /** Queue depths at which claim time is measured. */
  depths: number[];
  /** Claims timed at each depth, per round. */
  claimsPerDepth: number;
  /** Size of the base64 output posted to the webhook, in MiB. */
  webhookMiB: number;
  /** Interval of the dispatch cron the HTTP section plays (Supabase: 10 s). */
  cronEveryS: number;
  /** Longest the scale section spends filling the queue. */
  loadBudgetS: number;
  /** Image sizes, in megapixels, whose variants are measured. */
  variantMegapixels: number[];
}

export const fullSizes: Sizes = {
  concurrency: 8,
  jobs: 50_000,
  singleRowJobs: 10_000,
  physicalRows: 10_000,
  rounds: 3,
  drainTimeoutS: 180,
  ceiling: { startRate: 50, maxRate: 1600, probeSeconds: 8, bisections: 2, searches: 3, halfCeilingRuns: 3, endpoints: 8 },
  depths: [1_000, 100_000, 1_000_000],
  claimsPerDepth: 10,
  webhookMiB: 20,
  cronEveryS: 10,
  loadBudgetS: 120,
  variantMegapixels: [0.5, 1, 1.5, 2, 4],
};

export const quickSizes: Sizes = {
  concurrency: 8,
  jobs: 3_000,
  singleRowJobs: 1_000,
  physicalRows: 2_000,
  rounds: 3,
  drainTimeoutS: 60,
  ceiling: { startRate: 50, maxRate: 800, probeSeconds: 3, bisections: 1, searches: 1, halfCeilingRuns: 1, endpoints: 8 },
  depths: [1_000, 10_000, 50_000],
  claimsPerDepth: 5,
  webhookMiB: 20,
  cronEveryS: 10,
  loadBudgetS: 10,
  variantMegapixels: [1, 2],
};

export interface BenchContext {
  env: BenchEnv;
  sizes: Sizes;
  /**
   * True on the bench's own stack. False on a stack others use at the same
   * time (the smoke test): the dispatcher is then left reachable, so it may
   * take some of a section's jobs, and sections count what they got.
   */
  exclusive: boolean;
  log: (line: string) => void;
}

export const databaseUrl = (env: BenchEnv, database?: string) =>
  database ? env.SUPABASE_DB_URL.replace(/\/[^/]*$/, `/${database}`) : env.SUPABASE_DB_URL;

export function connect(env: BenchEnv, max = 1, database?: string): Sql {
  return postgres(databaseUrl(env, database), { max, onnotice: () => {} });
}

/** Opens every connection of a pool before anything is timed on it. */
export async function warm(sql: Sql, connections: number): Promise<void> {
  const conns = await Promise.all(Array.from({ length: connections }, () => sql.reserve()));
  await Promise.all(conns.map((c) => c`select 1`));
  for (const c of conns) c.release();
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A user in auth.users, so jobs have an owner as they do when an app inserts them. */
export async function createUser(sql: Sql): Promise<string> {
  const [user] = await sql<{ id: string }[]>`insert into auth.users (id) values (gen_random_uuid()) returning id`;
  return user.id;
}

/**
 * Removes an endpoint with its jobs, runs and queue. Its runs are locked
 * first, as pgpod's own functions lock runs before jobs, so a webhook still
 * recording one of them cannot deadlock with the removal.
 */
export async function dropEndpoint(sql: Sql, name: string): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`select id from pgpod.runs where endpoint = ${name} order by id for update`;
    await tx`delete from pgpod.jobs where endpoint = ${name}`;
    await tx`delete from pgpod.runs where endpoint = ${name}`;
    await tx`delete from pgpod.endpoints where name = ${name}`;
  });
}

/** A fresh endpoint of its own, so no section sees another's queue. */
export async function createEndpoint(sql: Sql, name: string, apiBase: string, runpodEndpointId = "noop"): Promise<string> {
  await dropEndpoint(sql, name);
  await sql`
    insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, max_attempts, execution_timeout_ms)
    values (${name}, ${runpodEndpointId}, ${apiBase}, 1, 60000)`;
  return name;
}

/**
 * Runs `total` calls of `work` over `clients` reserved connections, each
 * prepared by `setup` (e.g. to act as a user). Calls are handed out in order.
 * Answers the milliseconds the calls took, connecting and setup excluded.
 */
export async function concurrently(
  sql: Sql,
  clients: number,
  total: number,
  work: (conn: postgres.ReservedSql, index: number) => Promise<unknown>,
  setup: (conn: postgres.ReservedSql) => Promise<unknown> = () => Promise.resolve(),
): Promise<number> {
  const conns = await Promise.all(Array.from({ length: clients }, () => sql.reserve()));
  try {
    await Promise.all(conns.map(setup));
    let next = 0;
    const started = performance.now();
    await Promise.all(conns.map(async (conn) => {
      for (let i = next++; i < total; i = next++) await work(conn, i);
    }));
    return performance.now() - started;
  } finally {
    for (const conn of conns) {
      await conn`reset role`.catch(() => undefined);
      await conn`reset all`.catch(() => undefined);
      conn.release();
    }
  }
}

/** Makes a reserved connection act as `userId` the way PostgREST does: role and JWT claims. */
export async function actAsUser(conn: postgres.ReservedSql, userId: string): Promise<void> {
  await conn`select set_config('request.jwt.claims', ${JSON.stringify({ sub: userId, role: "authenticated" })}, false)`;
  await conn`set role authenticated`;
}

/**
 * While `fn` runs, the kick trigger and the cron job still send their pg_net
 * requests (so inserts pay exactly what they pay in production), but to a
 * closed port: the real dispatcher never claims the jobs a SQL-only
 * measurement is driving itself.
 */
export async function withDispatcherUnreachable<T>(ctx: BenchContext, sql: Sql, fn: () => Promise<T>): Promise<T> {
  if (!ctx.exclusive) return await fn();
  const [saved] = await sql<{ id: string; url: string }[]>`
    select id, decrypted_secret as url from vault.decrypted_secrets where name = 'pgpod_project_url'`;
  if (!saved) throw new Error("the stack has no pgpod_project_url Vault secret; is it wired?");
  await sql`select vault.update_secret(${saved.id}, 'http://127.0.0.1:9')`;
  try {
    return await fn();
  } finally {
    await sql`select vault.update_secret(${saved.id}, ${saved.url})`;
  }
}

export const dispatcherNote =
  "The real dispatcher is kept out of SQL-only steps by pointing the Vault secret pgpod_project_url at a closed port: " +
  "inserts still run the kick (debounce + pg_net request) exactly as in production, but no dispatcher answers it.";

export const sharedStackNote =
  "Shared stack: the real dispatcher was left reachable and may have taken some jobs; rates count only the jobs each step handled.";
