// The whole loop with no direct function call: rows inserted into an app
// table become jobs through pgpod.enqueue_row, pg_net kicks (the insert's own
// kick, and the statement pg_cron runs) call the dispatcher, the emulator
// calls the webhook, and the endpoint's on_complete hook updates the app table.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEndpoint, scriptedWorker, sleep, sql, startEmulator, uniqueName, worker } from "./harness.ts";

const table = uniqueName("docs");
let endpoint: string;

beforeAll(async () => {
  const emulator = await startEmulator({ transcribe: worker(scriptedWorker) });
  await sql.unsafe(`
    create table public.${table} (
      id uuid primary key default gen_random_uuid(),
      url text not null,
      status text not null default 'pending',
      transcript text
    );
    create function public.${table}_input(doc public.${table}) returns jsonb
    language sql set search_path = '' as $$
      select jsonb_build_object('output', jsonb_build_object('text', 'transcript of ' || doc.url))
    $$;
    create function public.${table}_done(job pgpod.jobs) returns void
    language sql set search_path = '' as $$
      update public.${table}
         set status = case job.status when 'succeeded' then 'completed' else 'error' end,
             transcript = job.output ->> 'text'
       where id = job.source_id::uuid
    $$;`);
  endpoint = (await createEndpoint(uniqueName("kick"), { runpodEndpointId: "transcribe", emulator, onComplete: `public.${table}_done` })).name;
  await sql.unsafe(`
    create trigger ${table}_enqueue after insert on public.${table}
    for each row execute function pgpod.enqueue_row('${endpoint}', 'public.${table}_input')`);
});

afterAll(async () => {
  await sql`update pgpod.endpoints set on_complete = null, paused = true where name = ${endpoint}`;
  await sql.unsafe(`drop table public.${table} cascade; drop function public.${table}_done(pgpod.jobs)`);
});

describe("driven by pg_net kicks only", () => {
  it("takes app rows to completed through the queue, both functions and the on_complete hook", async () => {
    await sql.unsafe(`insert into public.${table} (url) values ('a.mp3'), ('b.mp3'), ('c.mp3')`);
    const deadline = Date.now() + 25_000;
    let docs: Array<{ url: string; status: string; transcript: string | null }> = [];
    while (Date.now() < deadline) {
      docs = await sql.unsafe(`select url, status, transcript from public.${table} order by url`);
      if (docs.every((d) => d.status !== "pending")) break;
      // What pg_cron runs on every tick; inserts that landed in another
      // insert's debounce window are picked up by it.
      await sql`select pgpod.kick_dispatcher('cron', true)`;
      await sleep(1000);
    }
    expect(docs).toEqual([
      { url: "a.mp3", status: "completed", transcript: "transcript of a.mp3" },
      { url: "b.mp3", status: "completed", transcript: "transcript of b.mp3" },
      { url: "c.mp3", status: "completed", transcript: "transcript of c.mp3" },
    ]);
    const jobs = await sql`select status, source_table from pgpod.jobs where endpoint = ${endpoint}`;
    expect(jobs.map((j) => [j.status, j.source_table])).toEqual(Array(3).fill(["succeeded", `public.${table}`]));
  });
});
