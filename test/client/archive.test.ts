// archive: one tar.gz of the signed-in user's jobs' files through the
// pgpod-archive Edge Function, and its refusals as the SDK's error classes.
import { gunzipSync } from "node:zlib";
import { createClient } from "@supabase/supabase-js";
import { beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { JobNotFoundError, pgpod, PgpodError, RequestFailedError } from "@pgpod/client";
import { createEndpoint, scriptedWorker, settle, startEmulator, submit, uniqueName, worker } from "../functions/harness.ts";
import { untar } from "../support/tar.ts";
import { env, signUp, type TestUser } from "./harness.ts";

let endpoint: string;
let owner: TestUser;
let other: TestUser;
let ownJob: string;
let othersJob: string;

const file = (name: string) => ({ filename: `${name}.txt`, data: Buffer.from(`bytes of ${name}`).toString("base64") });

beforeAll(async () => {
  const emulator = await startEmulator({ scripted: worker(scriptedWorker) });
  endpoint = (await createEndpoint(uniqueName("sdkarch"), { runpodEndpointId: "scripted", emulator })).name;
  [owner, other] = await Promise.all([signUp(), signUp()]);
  ownJob = (await submit(endpoint, { output: { files: [file("mine")] } }, owner.id)).id;
  othersJob = (await submit(endpoint, { output: { files: [file("theirs")] } }, other.id)).id;
  for (const id of [ownJob, othersJob]) expect((await settle(id)).status).toBe("succeeded");
}, 60_000);

async function refusal(promise: Promise<unknown>): Promise<PgpodError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  if (!(error instanceof PgpodError)) throw new Error(`expected a PgpodError, got ${String(error)}`);
  return error;
}

describe("archive", () => {
  it("returns a signed URL to a tar.gz of the user's selected jobs, and the same archive for the same set", async () => {
    const jobs = pgpod(owner.supabase);
    const archive = await jobs.archive({ jobs: [ownJob] }, { expiresIn: 600 });
    expect(archive).toMatchObject({ cached: false, expiresIn: 600, bucket: "pgpod-archives", files: 1 });
    expect(archive.path.startsWith(`${owner.id}/`)).toBe(true);
    const bytes = Buffer.from(await (await fetch(archive.url)).arrayBuffer());
    expect(bytes.length).toBe(archive.size);
    expect(untar(gunzipSync(bytes))).toEqual([{ name: `${ownJob}/mine.txt`, bytes: "bytes of mine" }]);

    const byFilter = await jobs.archive({ endpoint, createdAfter: new Date(Date.now() - 3600_000) });
    expect(byFilter).toMatchObject({ cached: true, path: archive.path });
  });

  it("refuses another user's job as not found", async () => {
    const error = await refusal(pgpod(owner.supabase).archive({ jobs: [{ id: othersJob, endpoint }] }));
    expect(error).toBeInstanceOf(JobNotFoundError);
    expect(error.message).toBe(`pgpod: job ${othersJob} not found`);
  });

  it("reports a selection that names nothing, and an unreachable function, as failed requests with the reason", async () => {
    const empty = await refusal(pgpod(owner.supabase).archive({}));
    expect(empty).toBeInstanceOf(RequestFailedError);
    expect((empty as RequestFailedError).status).toBe(400);
    expect(empty.message).toMatch(/^pgpod: pgpod-archive answered 400: pgpod: name the jobs to archive/);

    const nowhere = createClient("http://127.0.0.1:1", env.SUPABASE_ANON_KEY, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: WebSocket as never },
    });
    const unreachable = await refusal(pgpod(nowhere).archive({ jobs: [ownJob] }));
    expect(unreachable).toBeInstanceOf(RequestFailedError);
    expect(unreachable.message).toMatch(/^pgpod: pgpod-archive could not be reached/);
  });
});
