// pgpod.jobs through the Data API (the real PostgREST behind /rest/v1) with
// supabase-js and users signed up through Auth: the path an app's clients take,
// with the grants and RLS the migrations set.
import type { SupabaseClient } from "@supabase/supabase-js";
import { beforeAll, describe, expect, it } from "vitest";
import { createEndpoint, scriptedWorker, settle, sql, startEmulator, uniqueName, waitFor, worker } from "../functions/harness.ts";
import { anonClient, signedUpUser } from "../support/clients.ts";

type User = Awaited<ReturnType<typeof signedUpUser>>;
const png = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489", "hex");
const later = () => new Date(Date.now() + 3600_000).toISOString();

let endpoint: string;
let bucket: string;
let paused: string;
let a: User;
let b: User;

const jobs = (client: SupabaseClient) => client.schema("pgpod").from("jobs");
const count = async (where: { owner?: string; endpoint?: string }) => {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from pgpod.jobs
    where (${where.owner ?? null}::uuid is null or owner_id = ${where.owner ?? null}::uuid)
      and (${where.endpoint ?? null}::text is null or endpoint = ${where.endpoint ?? null})`;
  return row.n;
};

beforeAll(async () => {
  const emulator = await startEmulator({ scripted: worker(scriptedWorker) });
  ({ name: endpoint, bucket } = await createEndpoint(uniqueName("rest"), { runpodEndpointId: "scripted", emulator }));
  ({ name: paused } = await createEndpoint(uniqueName("paused"), { runpodEndpointId: "scripted", emulator }));
  await sql`update pgpod.endpoints set paused = true where name = ${paused}`;
  [a, b] = await Promise.all([signedUpUser("rest-a"), signedUpUser("rest-b")]);
});

describe("submitting and reading through the Data API", () => {
  it("inserts a job owned by the signed-in user and reads it back", async () => {
    const { data, error, status } = await jobs(a.client)
      .insert({ endpoint, input: { prompt: "fox" }, run_after: later() })
      .select()
      .single();
    expect(error).toBeNull();
    expect(status).toBe(201);
    expect(data).toMatchObject({ endpoint, owner_id: a.id, status: "queued", attempt: 0, max_attempts: 3, input: { prompt: "fox" } });
    const read = await jobs(a.client).select("id, status").eq("id", data.id);
    expect(read.data).toEqual([{ id: data.id, status: "queued" }]);
  });

  it("keeps other users and anon away from a user's jobs", async () => {
    const { data: job } = await jobs(a.client).insert({ endpoint, input: {}, run_after: later() }).select().single();
    expect((await jobs(b.client).select().eq("id", job.id)).data).toEqual([]);

    const update = await jobs(b.client).update({ input: { stolen: true } }).eq("id", job.id);
    expect(update.error).toMatchObject({ code: "42501" });
    expect(update.status).toBe(403);
    for (const fn of ["cancel", "retry"]) {
      const res = await b.client.schema("pgpod").rpc(fn, { job_id: job.id });
      expect(res.error).toMatchObject({ code: "PT404", message: `pgpod: job ${job.id} not found` });
      expect(res.status).toBe(404);
    }
    const forged = await jobs(b.client).insert({ endpoint, input: {}, owner_id: a.id });
    expect(forged.error).toMatchObject({ code: "42501" });

    const anon = anonClient();
    const anonRead = await jobs(anon).select();
    expect(anonRead.data).toBeNull();
    expect(anonRead.status).toBe(401);
    expect((await jobs(anon).insert({ endpoint, input: {} })).status).toBe(401);
    expect((await anon.schema("pgpod").rpc("cancel", { job_id: job.id })).status).toBe(401);

    const [row] = await sql`select status, input, owner_id from pgpod.jobs where id = ${job.id}`;
    expect(row).toEqual({ status: "queued", input: {}, owner_id: a.id });
    expect(await count({ owner: b.id })).toBe(0);
  });

  it("lets no user write status, output or owner", async () => {
    const before = await count({ owner: a.id });
    for (const extra of [{ status: "succeeded" }, { output: { fake: true } }, { owner_id: b.id }]) {
      const res = await jobs(a.client).insert({ endpoint, input: {}, ...extra });
      expect(res.error).toMatchObject({ code: "42501", message: "permission denied for table jobs" });
      expect(res.status).toBe(403);
    }
    const { data: job } = await jobs(a.client).insert({ endpoint, input: {}, run_after: later() }).select().single();
    const res = await jobs(a.client).update({ status: "succeeded", output: { fake: true } }).eq("id", job.id);
    expect(res.status).toBe(403);
    expect(await count({ owner: a.id })).toBe(before + 1);
    const [row] = await sql`select status, output from pgpod.jobs where id = ${job.id}`;
    expect(row).toEqual({ status: "queued", output: null });
  });

  it("answers bad input with PostgREST's error body carrying pgpod's message, and stores nothing", async () => {
    const before = await count({ owner: a.id });
    const cases: Array<[Record<string, unknown>, number, string, string]> = [
      [{ endpoint: "no_such_endpoint", input: {} }, 409, "23503", 'pgpod: unknown endpoint "no_such_endpoint"'],
      [{ endpoint, input: [1, 2] }, 400, "22023", "pgpod: input must be a JSON object"],
      [{ endpoint, input: "text" }, 400, "22023", "pgpod: input must be a JSON object"],
      [{ endpoint: paused, input: {} }, 409, "PT409", `pgpod: endpoint "${paused}" is paused`],
    ];
    for (const [row, status, code, message] of cases) {
      const res = await jobs(a.client).insert(row);
      expect(res.status, message).toBe(status);
      expect(res.error).toEqual({ code, message, details: null, hint: null });
    }
    const huge = await jobs(a.client).insert({ endpoint, input: { blob: "x".repeat(10 * 1024 * 1024 + 1) } });
    expect(huge.status).toBe(413);
    expect(huge.error).toMatchObject({ code: "PT413", message: expect.stringMatching(/^pgpod: input is \d+ bytes, over the 10 MB RunPod accepts$/) });
    expect(await count({ owner: a.id })).toBe(before);
  }, 60_000);

  it("turns an insert into public.documents into the user's job", async () => {
    const { data: doc, error } = await a.client.from("documents").insert({ title: "Talk", audio_url: "https://example.com/talk.mp3" }).select().single();
    expect(error).toBeNull();
    expect(doc).toMatchObject({ owner_id: a.id, status: "transcribing" });
    const { data } = await jobs(a.client).select("endpoint, owner_id, source_table, input").eq("source_id", doc.id);
    expect(data).toEqual([{ endpoint: "transcribe", owner_id: a.id, source_table: "public.documents", input: { url: doc.audio_url, document_id: doc.id } }]);
    expect((await jobs(b.client).select().eq("source_id", doc.id)).data).toEqual([]);
  });
});

describe("cancel, retry and files through the Data API", () => {
  it("cancels and retries the owner's job with rpc", async () => {
    const { data: job } = await jobs(a.client).insert({ endpoint, input: {}, run_after: later() }).select().single();
    const cancelled = await a.client.schema("pgpod").rpc("cancel", { job_id: job.id });
    expect(cancelled.error).toBeNull();
    expect(cancelled.data).toMatchObject({ id: job.id, status: "cancelled" });
    const retried = await a.client.schema("pgpod").rpc("retry", { job_id: job.id });
    expect(retried.data).toMatchObject({ id: job.id, status: "queued", attempt: 0 });
    const again = await a.client.schema("pgpod").rpc("retry", { job_id: job.id });
    expect(again.status).toBe(409);
    // the retried job is queued, or already on its way if a dispatcher took it
    expect(again.error).toMatchObject({ code: "PT409", message: expect.stringMatching(new RegExp(`^pgpod: job ${job.id} is \\w+, only failed or cancelled jobs can be retried$`)) });
  });

  it("submits with rpc('submit'): a repeated idempotency key returns the first job", async () => {
    const first = await a.client.schema("pgpod").rpc("submit", { endpoint, input: { n: 1 }, idempotency_key: "order-7", run_after: later() });
    expect(first.error).toBeNull();
    const second = await a.client.schema("pgpod").rpc("submit", { endpoint, input: { n: 2 }, idempotency_key: "order-7" });
    expect(second.data.id).toBe(first.data.id);
    expect(second.data.input).toEqual({ n: 1 });
    // the same key is B's own
    const other = await b.client.schema("pgpod").rpc("submit", { endpoint, input: { n: 3 }, idempotency_key: "order-7", run_after: later() });
    expect(other.data.id).not.toBe(first.data.id);
    expect(other.data.owner_id).toBe(b.id);
  });

  it("downloads a finished job's file through a signed URL made with the user's session", async () => {
    const output = { files: [{ filename: "fox.png", data: png.toString("base64"), encoding: "base64" }] };
    const { data: job } = await jobs(a.client).insert({ endpoint, input: { output } }).select().single();
    expect((await settle(job.id)).status).toBe("succeeded");
    const { data: done } = await jobs(a.client).select("output").eq("id", job.id).single();
    const file = done!.output.files[0];
    expect(file).toMatchObject({ bucket, path: `${a.id}/${endpoint}/${job.id}/fox.png` });
    const signed = await a.client.storage.from(file.bucket).createSignedUrl(file.path, 60);
    expect(signed.error).toBeNull();
    const res = await fetch(signed.data!.signedUrl);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true);
    expect((await b.client.storage.from(file.bucket).createSignedUrl(file.path, 60)).error).not.toBeNull();
  });
});

describe("PostgREST queries on pgpod.jobs", () => {
  let ids: string[];
  let user: User;

  beforeAll(async () => {
    user = await signedUpUser("rest-query");
    const rows = Array.from({ length: 5 }, (_, n) => ({ endpoint, input: { n }, idempotency_key: `q-${n}`, run_after: later() }));
    const { data, error } = await jobs(user.client).insert(rows).select("id");
    if (error) throw new Error(error.message);
    ids = data.map((r) => r.id);
  });

  it("selects columns and JSON paths, filters, orders and limits", async () => {
    const { data, error } = await jobs(user.client)
      .select("id, n:input->n, status")
      .in("idempotency_key", ["q-1", "q-2", "q-3"])
      .order("idempotency_key", { ascending: false })
      .limit(2);
    expect(error).toBeNull();
    expect(data).toEqual([{ id: ids[3], n: 3, status: "queued" }, { id: ids[2], n: 2, status: "queued" }]);
    const gt = await jobs(user.client).select("idempotency_key").gte("input->n", 3).order("idempotency_key");
    expect(gt.data).toEqual([{ idempotency_key: "q-3" }, { idempotency_key: "q-4" }]);
  });

  it("counts exactly, with ranges and with head requests", async () => {
    const page = await jobs(user.client).select("id", { count: "exact" }).order("created_at").range(1, 2);
    expect(page.count).toBe(5);
    expect(page.status).toBe(206);
    expect(page.data).toHaveLength(2);
    const head = await jobs(user.client).select("*", { count: "exact", head: true }).eq("status", "queued");
    expect(head).toMatchObject({ count: 5, data: null, error: null });
    const none = await jobs(user.client).select("id", { count: "exact" }).eq("status", "running");
    expect(none).toMatchObject({ count: 0, data: [] });
  });

  it("answers .single() on several rows with PGRST116, and an unexposed schema with PGRST106", async () => {
    const single = await jobs(user.client).select("id").single();
    expect(single.status).toBe(406);
    expect(single.error).toMatchObject({ code: "PGRST116" });
    const hidden = await user.client.schema("auth").from("users").select();
    expect(hidden.status).toBe(406);
    expect(hidden.error).toMatchObject({ code: "PGRST106" });
  });
});

describe("the Data API's configuration", () => {
  it("caps every answer at [api] max_rows (1000)", async () => {
    const fn = uniqueName("rows");
    await sql.unsafe(`create function public.${fn}() returns setof int language sql stable set search_path = '' as 'select generate_series(1, 1500)';
      grant execute on function public.${fn}() to authenticated`);
    try {
      const rows = await waitFor("PostgREST to see the new function", async () => {
        const { data } = await a.client.rpc(fn);
        return data ?? undefined;
      }, 10_000, 100);
      expect(rows).toHaveLength(1000);
    } finally {
      await sql.unsafe(`drop function public.${fn}()`);
    }
  });
});

describe("the schema cache", () => {
  it("follows DDL without a restart", async () => {
    const table = uniqueName("cache");
    await sql.unsafe(`create table public.${table} (id int primary key); alter table public.${table} enable row level security;
      create policy "all read" on public.${table} for select to authenticated using (true);
      grant select on public.${table} to authenticated; insert into public.${table} values (1)`);
    try {
      const rows = await waitFor("PostgREST to see the new table", async () => {
        const { data } = await a.client.from(table).select("id");
        return data ?? undefined;
      }, 10_000, 100);
      expect(rows).toEqual([{ id: 1 }]);
    } finally {
      await sql.unsafe(`drop table public.${table}`);
    }
  });
});
