// Integration helpers for the Edge Functions on the local stack: an own RunPod
// emulator per test file (so fault injection never touches other files),
// uniquely named endpoints, and the functions reached through the gateway.
import { createServer, type Server } from "node:http";
import { Readable } from "node:stream";
import type postgres from "postgres";
import { afterAll } from "vitest";
import type { EmulatorConfig } from "../../local/runpod/config.ts";
import { startRunpodEmulator, type RunpodEmulator } from "../../local/runpod/server.ts";
import { dispatchTokens, webhookTokens } from "../../supabase/functions/_shared/tokens.ts";
import { db, stack } from "../support/stack.ts";
import { sleep, waitFor } from "../support/wait.ts";

export const env = stack();
export const sql = db(4);
export const scriptedWorker = new URL("./fixtures/scripted-worker.ts", import.meta.url).pathname;
export const tokens = webhookTokens(env.PGPOD_WEBHOOK_SECRET);

/** The Authorization header a kick or pg_cron call carries: a fresh dispatch token. */
export async function dispatchAuthorization(issuedAtS = Math.floor(Date.now() / 1000)): Promise<string> {
  return `Bearer ${await dispatchTokens(env.PGPOD_DISPATCH_SECRET).sign(issuedAtS)}`;
}

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await sql.end({ timeout: 5 });
});

export { sleep, waitFor };

/** A name no other test file uses, valid as a pgpod endpoint name and a bucket id. */
export function uniqueName(tag: string): string {
  return `fn_${tag}_${Math.random().toString(36).slice(2, 8)}`;
}

export async function startEmulator(endpoints: NonNullable<EmulatorConfig["endpoints"]>): Promise<RunpodEmulator> {
  const emulator = await startRunpodEmulator({
    port: 0,
    apiKey: env.RUNPOD_API_KEY,
    config: {
      endpoints,
      webhook: { retryDelayMs: 300, timeoutMs: 5000 },
      policy: { minExecutionTimeoutMs: 0, minTtlMs: 0 },
    },
  });
  cleanups.push(() => emulator.close());
  return emulator;
}

export const worker = (handler: string, extra: Record<string, unknown> = {}) => ({
  handler,
  workers: 2,
  coldStartMs: 10,
  idleTimeoutMs: 1000,
  ...extra,
});

export interface EndpointOptions {
  runpodEndpointId: string;
  emulator: RunpodEmulator;
  batchSize?: number;
  maxAttempts?: number;
  backoffBaseS?: number;
  executionTimeoutMs?: number;
  directUpload?: boolean;
  onComplete?: string;
  maxInFlight?: number;
}

/** Inserts a pgpod endpoint pointing at the file's emulator; its bucket has the same name with dashes. */
export async function createEndpoint(name: string, o: EndpointOptions): Promise<{ name: string; bucket: string }> {
  const bucket = name.replace(/_/g, "-");
  await sql`
    insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, output_bucket, batch_size, max_attempts,
                                 backoff_base_s, backoff_max_s, execution_timeout_ms, direct_upload, on_complete, max_in_flight)
    values (${name}, ${o.runpodEndpointId}, ${`${o.emulator.url}/v2`}, ${bucket}, ${o.batchSize ?? 1}, ${o.maxAttempts ?? 3},
            ${o.backoffBaseS ?? 1}, ${Math.max(o.backoffBaseS ?? 1, 2)}, ${o.executionTimeoutMs ?? null}, ${o.directUpload ?? false},
            ${o.onComplete ?? null}, ${o.maxInFlight ?? null})`;
  return { name, bucket };
}

export interface Job {
  id: string;
  status: string;
  output: Record<string, unknown> | null;
  error: string | null;
  attempt: number;
  run_id: string | null;
  owner_id: string | null;
  updated_at: Date;
}

export async function submit(endpoint: string, input: Record<string, unknown>, ownerId: string | null = null): Promise<Job> {
  const [job] = await sql<Job[]>`
    insert into pgpod.jobs (endpoint, input, owner_id) values (${endpoint}, ${sql.json(input as postgres.JSONValue)}, ${ownerId})
    returning *`;
  return job;
}

export async function job(id: string): Promise<Job> {
  const [row] = await sql<Job[]>`select * from pgpod.jobs where id = ${id}`;
  return row;
}

export const functionUrl = (name: string) => `${env.SUPABASE_URL}/functions/v1/${name}`;

/** One dispatcher call through the gateway, as pg_net makes it. */
export async function dispatch(): Promise<Record<string, unknown>> {
  const res = await fetch(functionUrl("pgpod-dispatch"), {
    method: "POST",
    headers: { authorization: await dispatchAuthorization(), "content-type": "application/json" },
    body: JSON.stringify({ reason: "test" }),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`dispatch answered ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

/** Dispatches until the job reaches one of the statuses. */
export async function settle(id: string, statuses: string[] = ["succeeded", "failed", "cancelled"], timeoutMs = 25_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await job(id);
    if (statuses.includes(current.status)) return current;
    if (Date.now() > deadline) throw new Error(`job ${id} is still ${current.status} (wanted ${statuses.join("/")}): ${current.error ?? ""}`);
    await dispatch();
    await sleep(250);
  }
}

/** Reads an object back from Storage with the service key. */
export async function download(bucket: string, path: string): Promise<{ status: number; bytes: Buffer; type: string | null }> {
  const res = await fetch(`${env.SUPABASE_URL}/storage/v1/object/${bucket}/${path}`, {
    headers: { authorization: `Bearer ${env.SUPABASE_SERVICE_ROLE_KEY}` },
  });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), type: res.headers.get("content-type") };
}

export async function webhookUrl(runId: string, attempt: number): Promise<string> {
  return `${functionUrl("pgpod-webhook")}?run=${runId}&attempt=${attempt}&sig=${await tokens.sign(runId, attempt)}`;
}

export async function events(jobOrRun: { jobId?: string; runId?: string }): Promise<Array<{ kind: string; run_id: string | null; detail: Record<string, unknown> }>> {
  return await sql`
    select kind, run_id::text, detail from pgpod.job_events
    where (${jobOrRun.jobId ?? null}::uuid is not null and job_id = ${jobOrRun.jobId ?? null}::uuid)
       or (${jobOrRun.runId ?? null}::bigint is not null and run_id = ${jobOrRun.runId ?? null}::bigint)
    order by id`;
}

/** Serves a (Request) => Response handler on a local port, the way the gateway serves Deno.serve. */
export async function serveHandler(handler: (req: Request) => Promise<Response>): Promise<string> {
  const server: Server = createServer(async (req, res) => {
    const body = req.method === "GET" || req.method === "HEAD" ? undefined : (Readable.toWeb(req) as ReadableStream);
    const request = new Request(`http://127.0.0.1${req.url}`, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      body,
      // @ts-expect-error Node needs this to stream a request body.
      duplex: "half",
    });
    const response = await handler(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** A user in auth.users, so jobs can have an owner. */
export async function createUser(): Promise<string> {
  const [user] = await sql<{ id: string }[]>`insert into auth.users (id) values (gen_random_uuid()) returning id`;
  return user.id;
}
