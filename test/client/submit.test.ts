// submit, cancel, retry and list through the Data API as the signed-in user,
// and each refusal as its own error class carrying pgpod's message.
import { beforeAll, describe, expect, it } from "vitest";
import {
  EndpointPausedError,
  InputTooLargeError,
  InvalidInputError,
  JobNotFoundError,
  NotRetryableError,
  pgpod,
  PgpodError,
  UnknownEndpointError,
  type Job,
  type JsonObject,
  type DefaultOutput,
} from "@pgpod/client";
import { uniqueName } from "../functions/harness.ts";
import { idleEndpoint, setStatus, signUp, sql, type TestUser } from "./harness.ts";

const inAnHour = () => new Date(Date.now() + 3600_000);

let endpoint: string;
let strict: string;
let user: TestUser;
beforeAll(async () => {
  endpoint = await idleEndpoint(uniqueName("sub"));
  strict = await idleEndpoint(uniqueName("strict"), { required: ["prompt", "size"] });
  user = await signUp();
});

async function refusal(promise: Promise<unknown>): Promise<PgpodError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  if (!(error instanceof PgpodError)) throw new Error(`expected a PgpodError, got ${String(error)}`);
  return error;
}

const jobCount = async (endpointName: string) => (await sql`select count(*)::int as n from pgpod.jobs where endpoint = ${endpointName}`)[0].n;

describe("submit", () => {
  it("returns the queued job, owned by the user, with run_after", async () => {
    const runAfter = inAnHour();
    const job = await pgpod(user.supabase).submit(endpoint, { prompt: "a fox" }, { runAfter });
    expect(job).toMatchObject({ endpoint, status: "queued", owner_id: user.id, attempt: 0, output: null, error: null });
    expect(Date.parse(job.run_after!)).toBe(runAfter.getTime());
    const [row] = await sql`select input from pgpod.jobs where id = ${job.id}`;
    expect(row.input).toEqual({ prompt: "a fox" });
  });

  it("returns the first job for a repeated idempotency key, whatever the input", async () => {
    const jobs = pgpod(user.supabase);
    const key = `order-${Math.random()}`;
    const first = await jobs.submit(endpoint, { n: 1 }, { idempotencyKey: key, runAfter: inAnHour() });
    const again = await jobs.submit(endpoint, { n: 2 }, { idempotencyKey: key, runAfter: inAnHour() });
    expect(again).toEqual(first);
    const [{ n }] = await sql`select count(*)::int as n from pgpod.jobs where idempotency_key = ${key}`;
    expect(n).toBe(1);
    // another user's key is their own
    const other = await signUp();
    const theirs = await pgpod(other.supabase).submit(endpoint, { n: 3 }, { idempotencyKey: key, runAfter: inAnHour() });
    expect(theirs.id).not.toBe(first.id);
  });

  it("refuses an unknown endpoint with UnknownEndpointError", async () => {
    const error = await refusal(pgpod(user.supabase).submit("no_such_endpoint", {}));
    expect(error).toBeInstanceOf(UnknownEndpointError);
    expect(error.code).toBe("unknown_endpoint");
    expect(error.message).toBe('pgpod: unknown endpoint "no_such_endpoint"');
  });

  it("refuses an input the endpoint's schema does not accept with InvalidInputError, and submits nothing", async () => {
    const error = await refusal(pgpod(user.supabase).submit(strict, { prompt: "x" }));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toBe(`pgpod: input lacks required keys: size (required by the input_schema of endpoint ${strict})`);
    const notObject = await refusal(pgpod(user.supabase).submit(strict, [1, 2] as unknown as JsonObject));
    expect(notObject).toBeInstanceOf(InvalidInputError);
    expect(notObject.message).toBe("pgpod: input must be a JSON object");
    expect(await jobCount(strict)).toBe(0);
  });

  it("refuses a paused endpoint with EndpointPausedError", async () => {
    const paused = await idleEndpoint(uniqueName("paused"));
    await sql`update pgpod.endpoints set paused = true where name = ${paused}`;
    const error = await refusal(pgpod(user.supabase).submit(paused, { n: 1 }));
    expect(error).toBeInstanceOf(EndpointPausedError);
    expect(error.message).toBe(`pgpod: endpoint "${paused}" is paused`);
    expect(await jobCount(paused)).toBe(0);
  });

  it("refuses an input over 10 MB with InputTooLargeError", async () => {
    const error = await refusal(pgpod(user.supabase).submit(endpoint, { blob: "x".repeat(10 * 1024 * 1024) }));
    expect(error).toBeInstanceOf(InputTooLargeError);
    expect(error.message).toMatch(/^pgpod: input is \d+ bytes, over the 10 MB RunPod accepts$/);
  });
});

describe("cancel and retry", () => {
  it("cancel ends a queued job, and retry queues it again", async () => {
    const jobs = pgpod(user.supabase);
    const job = await jobs.submit(endpoint, { n: 1 }, { runAfter: inAnHour() });
    const cancelled = await jobs.cancel(job);
    expect(cancelled).toMatchObject({ id: job.id, status: "cancelled" });
    expect(cancelled.finished_at).not.toBeNull();
    const retried = await jobs.retry(job.id);
    expect(retried).toMatchObject({ id: job.id, status: "queued", attempt: 0, finished_at: null, run_after: null });
  });

  it("refuses to retry a job that has not ended with NotRetryableError", async () => {
    const jobs = pgpod(user.supabase);
    const job = await jobs.submit(endpoint, { n: 2 }, { runAfter: inAnHour() });
    const error = await refusal(jobs.retry(job));
    expect(error).toBeInstanceOf(NotRetryableError);
    expect(error.message).toBe(`pgpod: job ${job.id} is queued, only failed or cancelled jobs can be retried`);
  });

  it("refuses another user's job, and a job that does not exist, with JobNotFoundError", async () => {
    const theirs = await pgpod((await signUp()).supabase).submit(endpoint, { n: 3 }, { runAfter: inAnHour() });
    const jobs = pgpod(user.supabase);
    const attempts = [
      () => jobs.cancel(theirs.id),
      () => jobs.retry(theirs.id),
      () => jobs.cancel("00000000-0000-4000-8000-000000000000"),
      () => jobs.cancel("not-a-uuid"),
    ];
    for (const attempt of attempts) {
      const error = await refusal(attempt());
      expect(error).toBeInstanceOf(JobNotFoundError);
    }
    expect((await sql`select status from pgpod.jobs where id = ${theirs.id}`)[0].status).toBe("queued");
  });
});

describe("list", () => {
  it("pages through the user's jobs newest first, filtered by endpoint and status", async () => {
    const u = await signUp();
    const jobs = pgpod(u.supabase);
    const mine: Job<Record<string, { input: JsonObject; output: DefaultOutput }>>[] = [];
    for (let n = 0; n < 5; n++) mine.push(await jobs.submit(endpoint, { n }, { runAfter: inAnHour() }));
    await jobs.submit(strict, { prompt: "p", size: 1 }, { runAfter: inAnHour() });
    await setStatus(mine[1].id, "failed");
    await setStatus(mine[3].id, "failed");

    const pages: string[][] = [];
    let before: string | undefined;
    do {
      const page = await jobs.list({ endpoint, limit: 2, before });
      pages.push(page.jobs.map((j) => j.id));
      before = page.next ?? undefined;
    } while (before);
    expect(pages).toEqual([[mine[4].id, mine[3].id], [mine[2].id, mine[1].id], [mine[0].id]]);

    const failed = await jobs.list({ status: ["failed", "cancelled"] });
    expect(failed).toEqual({ jobs: [expect.objectContaining({ id: mine[3].id }), expect.objectContaining({ id: mine[1].id })], next: null });
    expect((await jobs.list()).jobs).toHaveLength(6);
  });

  it("refuses a limit out of range and a cursor it did not make", async () => {
    const jobs = pgpod(user.supabase);
    await expect(jobs.list({ limit: 0 })).rejects.toThrow("pgpod: limit must be a whole number from 1 to 1000, not 0");
    await expect(jobs.list({ before: "yesterday|x" })).rejects.toThrow('pgpod: "yesterday|x" is not a cursor from list()');
  });
});
