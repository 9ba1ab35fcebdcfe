// Input files end to end: a user uploads to their folder of pgpod-inputs,
// references the object in a job's input, and the worker reads it through a
// signed URL the dispatcher made; references to anything the user may not
// read are refused at insert.
import { randomUUID } from "node:crypto";
import type { SupabaseClient } from "@supabase/supabase-js";
import { decodeJwt } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { signedUpUser } from "../support/clients.ts";
import { createEndpoint, job, scriptedWorker, settle, sql, startEmulator, uniqueName, worker } from "./harness.ts";

const bucket = "pgpod-inputs";
const ref = (path: string) => ({ $storage: { bucket, path } });

let transcribe: string;
let echo: string;
let a: { client: SupabaseClient; id: string };
let b: { client: SupabaseClient; id: string };

beforeAll(async () => {
  const emulator = await startEmulator({ transcribe: worker("transcribe"), scripted: worker(scriptedWorker) });
  transcribe = (await createEndpoint(uniqueName("tr"), { runpodEndpointId: "transcribe", emulator, maxAttempts: 1 })).name;
  echo = (await createEndpoint(uniqueName("echo"), { runpodEndpointId: "scripted", emulator, executionTimeoutMs: 60_000 })).name;
  a = await signedUpUser("inputs-a");
  b = await signedUpUser("inputs-b");
});

async function upload(client: SupabaseClient, path: string, bytes: Buffer) {
  return await client.storage.from(bucket).upload(path, bytes, { contentType: "audio/wav" });
}

async function insertJob(client: SupabaseClient, endpoint: string, input: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return await client.schema("pgpod").from("jobs").insert({ endpoint, input, ...extra }).select().single();
}

describe("input files", () => {
  it("lets the worker read the user's upload through a signed URL, while the job row keeps the reference", async () => {
    const path = `${a.id}/inputs/${randomUUID()}.wav`;
    expect((await upload(a.client, path, Buffer.alloc(3000, 7))).error).toBeNull();
    const { data: inserted, error } = await insertJob(a.client, transcribe, { url: ref(path) });
    expect(error).toBeNull();
    const done = await settle(inserted.id);
    expect(done.status).toBe("succeeded");
    expect(done.output).toMatchObject({ audio_bytes: 3000, text: expect.stringMatching(/^Transcript of .+\.wav \(3000 bytes\)\.$/) });
    const [row] = await sql`select input from pgpod.jobs where id = ${inserted.id}`;
    expect(row.input).toEqual({ url: ref(path) });
  });

  it("signs each reference for the job's execution timeout, wherever it sits in the input", async () => {
    const path = `${a.id}/inputs/${randomUUID()}.wav`;
    await upload(a.client, path, Buffer.from("RIFF"));
    const { data: inserted } = await insertJob(a.client, echo, { output: { got: ref(path), list: [ref(path), { keep: 1 }] } });
    const done = await settle(inserted.id);
    const got = done.output as { got: string; list: unknown[] };
    expect(got.got).toContain(`/storage/v1/object/sign/${bucket}/${path}?token=`);
    expect(got.list).toEqual([got.got, { keep: 1 }]);
    const claims = decodeJwt(new URL(got.got).searchParams.get("token")!);
    expect(claims.exp! - claims.iat!).toBe(60);
    const res = await fetch(got.got);
    expect(Buffer.from(await res.arrayBuffer()).toString()).toBe("RIFF");
  });

  it("refuses a reference to another user's input and to a missing object, and queues nothing", async () => {
    const path = `${a.id}/inputs/${randomUUID()}.wav`;
    await upload(a.client, path, Buffer.from("RIFF"));
    const before = await sql`select count(*)::int as n from pgpod.jobs where owner_id = ${b.id}`;
    const stolen = await insertJob(b.client, transcribe, { url: ref(path) });
    expect(stolen.status).toBe(400);
    expect(stolen.error).toMatchObject({ code: "22023", message: `pgpod: input file ${bucket}/${path} does not exist or its owner may not read it` });
    const missing = await insertJob(b.client, transcribe, { url: ref(`${b.id}/inputs/never-uploaded.wav`) });
    expect(missing.status).toBe(400);
    expect(missing.error?.message).toBe(`pgpod: input file ${bucket}/${b.id}/inputs/never-uploaded.wav does not exist or its owner may not read it`);
    expect(await sql`select count(*)::int as n from pgpod.jobs where owner_id = ${b.id}`).toEqual(before);
    // Nor may B write into A's folder, or read A's file.
    expect((await upload(b.client, `${a.id}/inputs/planted.wav`, Buffer.from("x"))).error).not.toBeNull();
    expect((await b.client.storage.from(bucket).download(path)).error).not.toBeNull();
  });

  it("fails the job, without retrying, when its input file was deleted before dispatch", async () => {
    const path = `${a.id}/inputs/${randomUUID()}.wav`;
    await upload(a.client, path, Buffer.from("RIFF"));
    const runAfter = new Date(Date.now() + 2000).toISOString();
    const { data: inserted } = await insertJob(a.client, echo, { output: { got: ref(path) } }, { run_after: runAfter });
    expect((await a.client.storage.from(bucket).remove([path])).error).toBeNull();
    const done = await settle(inserted.id);
    expect(done.status).toBe("failed");
    expect(done.error).toBe(`pgpod: input file ${bucket}/${path} no longer exists`);
    expect((await job(inserted.id)).attempt).toBe(1);
  });

  it("transcribes a document whose audio the user uploaded (the seed's documents example)", async () => {
    const path = `${a.id}/inputs/${randomUUID()}.wav`;
    await upload(a.client, path, Buffer.alloc(4321));
    const { data: doc, error } = await a.client.from("documents").insert({ title: "Uploaded talk", audio_path: path }).select().single();
    expect(error).toBeNull();
    const [queued] = await sql`select id, input from pgpod.jobs where source_table = 'public.documents' and source_id = ${doc.id}`;
    expect(queued.input).toEqual({ url: ref(path), document_id: doc.id });
    expect((await settle(queued.id)).status).toBe("succeeded");
    const { data: transcript } = await a.client.from("document_transcriptions").select("text").eq("document_id", doc.id).single();
    expect(transcript?.text).toMatch(/\(4321 bytes\)\.$/);
    const stolen = await b.client.from("documents").insert({ title: "Not mine", audio_path: path }).select().single();
    expect(stolen.error?.message).toBe(`pgpod: input file ${bucket}/${path} does not exist or its owner may not read it`);
  });
});
