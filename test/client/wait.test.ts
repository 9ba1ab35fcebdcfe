// wait() through the whole stack: a job submitted with the SDK runs on the
// RunPod emulator and its file downloads from the URL fileUrls signs; and
// wait resolves for jobs that ended before it was called or while its socket
// was down, and rejects with the error that says how a job ended.
import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  AbortedError,
  JobCancelledError,
  JobFailedError,
  JobNotFoundError,
  NotSignedInError,
  pgpod,
  WaitTimeoutError,
  type JobFile,
} from "@pgpod/client";
import { createEndpoint, scriptedWorker, startEmulator, uniqueName, worker } from "../functions/harness.ts";
import { anonClient, env, idleEndpoint, setStatus, signUp, sleep, sql, waitFor, type TestUser } from "./harness.ts";

const png = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");

// Endpoint names are made per run, so the maps key them by string.
type Render = Record<string, { input: { output?: unknown; fail?: string }; output: { files: JobFile[]; seed: number } }>;
type Later = Record<string, { input: { n: number }; output: { n: number } }>;

const inAnHour = () => new Date(Date.now() + 3600_000);

let user: TestUser;
let render: string;
let publicRender: { name: string; bucket: string };
let later: string;

beforeAll(async () => {
  const emulator = await startEmulator({ scripted: worker(scriptedWorker) });
  render = (await createEndpoint(uniqueName("sdk"), { runpodEndpointId: "scripted", emulator, maxAttempts: 1 })).name;
  publicRender = await createEndpoint(uniqueName("pub"), { runpodEndpointId: "scripted", emulator });
  await sql`update pgpod.endpoints set public_outputs = true where name = ${publicRender.name}`;
  later = await idleEndpoint(uniqueName("idle"));
  user = await signUp();
});

describe("submit, wait and fetch the files", () => {
  it("resolves with the finished job, whose signed URL downloads the worker's bytes", async () => {
    const jobs = pgpod<Render>(user.supabase);
    const job = await jobs.submit(render, { output: { seed: 7, files: [{ filename: "fox.png", data: png.toString("base64") }] } });
    expect(job).toMatchObject({ endpoint: render, status: "queued", owner_id: user.id });
    expect(job).not.toHaveProperty("input");

    const done = await jobs.wait(job, { timeoutMs: 25_000 });
    expect(done.status).toBe("succeeded");
    expect(done.output.seed).toBe(7);
    const [file] = await jobs.fileUrls(done, { expiresIn: 60 });
    expect(file).toMatchObject({ filename: "fox.png", content_type: "image/png", path: `${user.id}/${render}/${job.id}/fox.png` });
    expect(file.url).toContain("/storage/v1/object/sign/");
    const res = await fetch(file.url);
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.equals(png)).toBe(true);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(file.sha256);
  });

  it("gives public URLs for an endpoint with public outputs", async () => {
    const jobs = pgpod<Render>(user.supabase);
    const job = await jobs.submit(publicRender.name, { output: { seed: 1, files: [{ filename: "p.png", data: png.toString("base64") }] } });
    const [file] = await jobs.fileUrls(await jobs.wait(job, { timeoutMs: 25_000 }));
    expect(file.url).toBe(`${env.SUPABASE_URL}/storage/v1/object/public/${publicRender.bucket}/${file.path}`);
    const res = await fetch(file.url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true);
  });

  it("rejects with JobFailedError carrying the job and its error when the worker fails", async () => {
    const jobs = pgpod<Render>(user.supabase);
    const job = await jobs.submit(render, { fail: "out of memory" });
    const failure = await jobs.wait(job, { timeoutMs: 25_000 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(JobFailedError);
    expect((failure as JobFailedError).code).toBe("job_failed");
    expect((failure as JobFailedError).job).toMatchObject({ id: job.id, status: "failed" });
    expect((failure as JobFailedError).message).toContain("out of memory");
  });
});

describe("wait", () => {
  it("resolves for a job that finished before the call", async () => {
    const jobs = pgpod<Later>(user.supabase);
    const job = await jobs.submit(later, { n: 1 }, { runAfter: inAnHour() });
    await setStatus(job.id, "succeeded", { n: 1 });
    const done = await jobs.wait(job.id);
    expect(done).toMatchObject({ id: job.id, status: "succeeded", output: { n: 1 } });
    expect(done.output.n).toBe(1);
  });

  it("resolves for a job that finished while the socket was down", async () => {
    const u = await signUp();
    const jobs = pgpod(u.supabase);
    const job = await jobs.submit(later, { n: 2 }, { runAfter: inAnHour() });
    const seen: string[] = [];
    jobs.watch(job, (state) => seen.push(state.status));
    const waiting = jobs.wait(job, { timeoutMs: 15_000 });
    await waitFor("the watch's first read", async () => seen.length > 0);
    expect(u.link.opened).toBe(1);

    u.link.drop();
    await waitFor("the socket to close", async () => !u.supabase.realtime.isConnected());
    await setStatus(job.id, "running");
    await setStatus(job.id, "succeeded", { n: 2 });
    u.link.restore();

    await expect(waiting).resolves.toMatchObject({ id: job.id, status: "succeeded", output: { n: 2 } });
    expect(u.link.opened).toBe(2);
    // the running state came and went unseen; the watch (reading on its own) reports the end once
    await waitFor("the watch's re-read", async () => seen.length > 1);
    await sleep(200);
    expect(seen).toEqual(["queued", "succeeded"]);
  });

  it("rejects with JobCancelledError for a job cancelled while waiting", async () => {
    const jobs = pgpod(user.supabase);
    const job = await jobs.submit(later, { n: 3 }, { runAfter: inAnHour() });
    const waiting = jobs.wait(job).catch((error: unknown) => error);
    const cancelled = await jobs.cancel(job);
    expect(cancelled.status).toBe("cancelled");
    const error = await waiting;
    expect(error).toBeInstanceOf(JobCancelledError);
    expect((error as JobCancelledError).job.id).toBe(job.id);
  });

  it("rejects with WaitTimeoutError after timeoutMs, and with AbortedError when its signal fires", async () => {
    const jobs = pgpod(user.supabase);
    const job = await jobs.submit(later, { n: 4 }, { runAfter: inAnHour() });
    await expect(jobs.wait(job, { timeoutMs: 300 })).rejects.toBeInstanceOf(WaitTimeoutError);
    const controller = new AbortController();
    const waiting = jobs.wait(job, { signal: controller.signal });
    controller.abort(new Error("page closed"));
    const error = await waiting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortedError);
    expect((error as AbortedError).cause).toEqual(new Error("page closed"));
    await expect(jobs.wait(job, { signal: controller.signal })).rejects.toBeInstanceOf(AbortedError);
  });

  it("rejects with JobNotFoundError for a job that is not the user's", async () => {
    const other = await signUp();
    const job = await pgpod(other.supabase).submit(later, { n: 5 }, { runAfter: inAnHour() });
    await expect(pgpod(user.supabase).wait(job.id, { timeoutMs: 10_000 })).rejects.toBeInstanceOf(JobNotFoundError);
  });

  it("rejects with JobNotFoundError when the job is deleted while waiting", async () => {
    const jobs = pgpod(user.supabase);
    const job = await jobs.submit(later, { n: 6 }, { runAfter: inAnHour() });
    const seen: string[] = [];
    jobs.watch(job, (state) => seen.push(state.status), { onError: () => {} });
    const waiting = jobs.wait(job, { timeoutMs: 15_000 }).catch((error: unknown) => error);
    await waitFor("the watch's first read", async () => seen.length > 0);
    await sql`delete from pgpod.jobs where id = ${job.id}`;
    const error = await waiting;
    expect(error).toBeInstanceOf(JobNotFoundError);
    expect((error as JobNotFoundError).message).toBe(`pgpod: job ${job.id} was deleted`);
  });

  it("rejects with NotSignedInError without a signed-in user", async () => {
    await expect(pgpod(anonClient()).wait("00000000-0000-4000-8000-000000000000")).rejects.toBeInstanceOf(NotSignedInError);
  });
});
