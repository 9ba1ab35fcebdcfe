// The migrations and pgpod's SQL path under hosted Supabase's privileges: a
// cluster of its own (local/stack/hosted.ts) whose `postgres` is not a
// superuser and owns no platform schema. A migration that needs superuser or
// ownership of a platform object fails the push here, as on a project.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../local/stack/config.ts";
import { hostedUrls, startHostedDatabase, stopHostedDatabase, type HostedCluster } from "../../local/stack/hosted.ts";
import { freePort } from "../../local/stack/ports.ts";
import { waitFor } from "../support/wait.ts";

const stateDir = mkdtempSync(join(tmpdir(), "pgpod-hosted-"));
const user = "00000000-0000-4000-8000-0000000000f1";
const claims = JSON.stringify({ sub: user, role: "authenticated" });
const warnings: string[] = [];
let cluster: HostedCluster;
let sql: postgres.Sql;
let admin: postgres.Sql;

const onnotice = (notice: postgres.Notice) => {
  if (notice.severity === "WARNING") warnings.push(String(notice.message));
};

beforeAll(async () => {
  cluster = { stateDir, dbPort: await freePort() };
  await startHostedDatabase(cluster);
  sql = postgres(hostedUrls(cluster).postgres, { max: 2, onnotice });
  admin = postgres(hostedUrls(cluster).supabaseAdmin, { max: 1, onnotice });
  // Scheduled first: local pg_cron runs it at the next full minute, while the other tests go on.
  await sql`select pgpod.schedule_dispatch('10 seconds')`;
}, 120_000);

afterAll(async () => {
  await sql?.end();
  await admin?.end();
  if (cluster) stopHostedDatabase(cluster);
  rmSync(stateDir, { recursive: true, force: true });
});

describe("a database with hosted Supabase's privileges", () => {
  it("has a postgres that is no superuser and owns no platform schema", async () => {
    const [role] = await sql`
      select rolsuper, rolcreatedb, rolcreaterole, rolcanlogin, rolreplication, rolbypassrls,
             (select array_agg(g.rolname::text order by g.rolname) from pg_auth_members m join pg_roles g on g.oid = m.roleid
               where m.member = r.oid) as member_of
      from pg_roles r where rolname = current_user`;
    expect(role).toEqual({
      rolsuper: false, rolcreatedb: true, rolcreaterole: true, rolcanlogin: true, rolreplication: true, rolbypassrls: true,
      member_of: ["anon", "authenticated", "pg_monitor", "pg_read_all_data", "pg_signal_backend", "service_role"],
    });
    const owners = await sql`
      select t.name, pg_get_userbyid(c.relowner)::text as owner
      from unnest(array['auth.users', 'storage.objects', 'storage.buckets', 'realtime.messages', 'cron.job',
                        'vault.secrets', 'net.http_request_queue', 'pgmq.meta']) t(name)
      join pg_class c on c.oid = t.name::regclass`;
    expect(Object.fromEntries(owners.map((o) => [o.name, o.owner]))).toEqual({
      "auth.users": "supabase_auth_admin",
      "storage.objects": "supabase_storage_admin",
      "storage.buckets": "supabase_storage_admin",
      "realtime.messages": "supabase_realtime_admin",
      "cron.job": "supabase_admin",
      "vault.secrets": "supabase_admin",
      "net.http_request_queue": "supabase_admin",
      "pgmq.meta": "postgres",
    });
    const [privileges] = await sql`
      select has_table_privilege('realtime.messages', 'insert') as realtime_insert,
             has_table_privilege('cron.job', 'insert') as cron_job_insert,
             has_table_privilege('cron.job', 'select') as cron_job_select`;
    expect(privileges).toEqual({ realtime_insert: true, cron_job_insert: false, cron_job_select: true });
  });

  it("takes every migration and the seed from db push as postgres, going on without the three policies it may not add", async () => {
    const files = readdirSync(join(repoRoot, "supabase", "migrations")).filter((f) => f.endsWith(".sql")).sort();
    const applied = await sql`select version from supabase_migrations.schema_migrations order by version`;
    expect(applied.map((m) => m.version)).toEqual(files.map((f) => f.split("_")[0]));
    expect(await sql`select name from pgpod.endpoints where name in ('image', 'transcribe') order by 1`)
      .toEqual([{ name: "image" }, { name: "transcribe" }]);

    // The CLI does not print server warnings; they reach the Postgres log and pgpod.setup_checks.
    const log = readFileSync(join(stateDir, "postgres.log"), "utf8");
    expect(log).toContain('WARNING:  pgpod: could not create the storage policy "pgpod owners read their outputs"');
    expect(log).toContain('WARNING:  pgpod: could not create the Realtime policy "pgpod owners receive their job broadcasts"');
    expect(log).toContain('WARNING:  pgpod: could not create the storage policy "pgpod owners manage their inputs"');
    const checks = await sql`select name, ok, fix from pgpod.setup_checks order by name`;
    const [[storageSql], [inputsSql], [realtimeSql]] = await sql`
      select pgpod.storage_policy_sql() union all select pgpod.inputs_policy_sql() union all select pgpod.realtime_policy_sql()`.values();
    expect(checks).toEqual([
      { name: 'Realtime policy "pgpod owners receive their job broadcasts"', ok: false, fix: realtimeSql },
      { name: "postgres may insert into realtime.messages", ok: true, fix: null },
      { name: 'storage policy "pgpod owners manage their inputs"', ok: false, fix: inputsSql },
      { name: 'storage policy "pgpod owners read their outputs"', ok: false, fix: storageSql },
    ]);

    // The deployment section of the README gives the same statements.
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8").replace(/^ {3}/gm, "");
    expect(readme).toContain(storageSql);
    expect(readme).toContain(inputsSql);
    expect(readme).toContain(realtimeSql);

    // What the checks say to run works, run by a role that may.
    await admin.unsafe(storageSql);
    await admin.unsafe(inputsSql);
    await admin.unsafe(realtimeSql);
    expect(await sql`select bool_and(ok) as ok from pgpod.setup_checks`).toEqual([{ ok: true }]);
  });

  it("runs the SQL path as postgres: Vault, client inserts, submit, an app table, claim, submit and complete with a hook, prune", async () => {
    await sql`select vault.create_secret('http://127.0.0.1:9', 'pgpod_project_url')`;
    await sql`select vault.create_secret('hosted-dispatch-secret', 'pgpod_dispatch_secret')`;
    expect(await sql`select decrypted_secret from vault.decrypted_secrets where name = 'pgpod_project_url'`)
      .toEqual([{ decrypted_secret: "http://127.0.0.1:9" }]);

    await sql`insert into auth.users (id) values (${user})`;
    await sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${claims}, true)`;
      await tx`set local role authenticated`;
      await tx`insert into pgpod.jobs (endpoint, input) values ('image', '{"prompt": "a fox"}')`;
      await tx`select pgpod.submit('image', '{"prompt": "a hare"}', 'hosted-1')`;
      await tx`insert into public.documents (title, audio_url) values ('talk', 'https://example.test/talk.wav')`;
    });
    const queued = await sql`select endpoint, count(*)::int as n from pgpod.jobs where owner_id = ${user} and status = 'queued' group by 1 order by 1`;
    expect(queued).toEqual([{ endpoint: "image", n: 2 }, { endpoint: "transcribe", n: 1 }]);
    expect(await sql`select count(*)::int as n from pgmq.q_pgpod_image`).toEqual([{ n: 2 }]);
    expect((await sql`select count(*)::int as n from net.http_request_queue where url like '%/functions/v1/pgpod-dispatch'`)[0].n)
      .toBeGreaterThan(0);

    await sql.begin(async (tx) => {
      await tx`set local role service_role`;
      const runs = await tx`select run_id, attempt, jobs from pgpod.claim_runs('image', 10)`;
      expect(runs).toHaveLength(2);
      const submissions = runs.map((r) => ({ run_id: r.run_id, attempt: r.attempt, runpod_job_id: `rp-${r.run_id}` }));
      const marked = await tx`select pgpod.mark_submitted(${tx.json(submissions)}) as r`;
      expect(marked[0].r.submitted).toBe(2);
      for (const run of runs) {
        const [done] = await tx`select pgpod.complete_run(${run.run_id}, ${run.attempt},
          ${tx.json({ id: `rp-${run.run_id}`, status: "COMPLETED", executionTime: 1000, output: { caption: "done" } })}) as r`;
        expect(done.r).toMatchObject({ applied: true, outcome: "succeeded" });
      }
      const [grouped] = await tx`select run_id, attempt, jobs from pgpod.claim_runs('transcribe', 1)`;
      const jobId = grouped.jobs[0].job_id;
      await tx`select pgpod.mark_submitted(${tx.json([{ run_id: grouped.run_id, attempt: grouped.attempt, runpod_job_id: "rp-doc" }])})`;
      await tx`select pgpod.complete_run(${grouped.run_id}, ${grouped.attempt},
        ${tx.json({ id: "rp-doc", status: "COMPLETED", output: { results: [{ job_id: jobId, output: { text: "hello", language: "en" } }] } })})`;
    });
    const finished = await sql`select endpoint, status::text, count(*)::int as n from pgpod.jobs where owner_id = ${user} group by 1, 2 order by 1`;
    expect(finished).toEqual([{ endpoint: "image", status: "succeeded", n: 2 }, { endpoint: "transcribe", status: "succeeded", n: 1 }]);
    // the on_complete hook of the seed's documents example, run in the completing transaction
    const [doc] = await sql`select d.status, t.text from public.documents d join public.document_transcriptions t on t.document_id = d.id`;
    expect(doc).toEqual({ status: "done", text: "hello" });

    // every change but the claim was broadcast on the owner's topic, with postgres's hosted grants
    const broadcasts = await sql`
      select event, payload -> 'record' ->> 'status' as status, count(*)::int as n from realtime.messages
      where topic = ${`pgpod:jobs:${user}`} group by 1, 2 order by 1, 2`;
    expect(broadcasts).toEqual([
      { event: "INSERT", status: "queued", n: 3 },
      { event: "UPDATE", status: "submitted", n: 3 },
      { event: "UPDATE", status: "succeeded", n: 3 },
    ]);

    const [pruned] = await sql`select pgpod.prune('1 hour') as r`;
    expect(Object.keys(pruned.r).sort()).toEqual(["archived_messages", "cron_runs", "expired_archives", "job_events"]);
    expect(warnings).toEqual([]);
  });

  it("runs the dispatch job from pg_cron as postgres", async () => {
    const [job] = await sql`select jobid, username, command from cron.job where jobname = 'pgpod-dispatch'`;
    expect(job).toMatchObject({ username: "postgres", command: "select pgpod.kick_dispatcher('cron', true)" });
    await waitFor("pg_cron to run the dispatch job", async () =>
      (await sql`select 1 from cron.job_run_details where jobid = ${job.jobid} and status in ('succeeded', 'failed')`).length > 0, 75_000);
    const runs = await sql`select status, return_message from cron.job_run_details where jobid = ${job.jobid}`;
    expect(runs[0]).toMatchObject({ status: "succeeded" });
    const [kick] = await sql`
      select convert_from(body, 'UTF8')::jsonb ->> 'reason' as reason from net.http_request_queue
      where url = 'http://127.0.0.1:9/functions/v1/pgpod-dispatch' order by id desc limit 1`;
    expect(kick).toEqual({ reason: "cron" });
  }, 90_000);

  it("records a broadcast that postgres may not write instead of losing it to realtime.send's warning", async () => {
    const [job] = await sql`select id from pgpod.jobs where owner_id = ${user} limit 1`;
    const rolledBack = new Error("rolled back");
    let seen: Record<string, unknown> = {};
    await admin.begin(async (tx) => {
      // A project whose postgres has lost INSERT on realtime.messages (it holds it only through the API roles).
      await tx`revoke insert on realtime.messages from anon, authenticated, service_role`;
      await tx`set local role postgres`;
      const before = await tx`select count(*)::int as n from realtime.messages`;
      await tx`update pgpod.jobs set updated_at = now() where id = ${job.id}`;
      seen = {
        written: (await tx`select count(*)::int as n from realtime.messages`)[0].n - before[0].n,
        events: await tx`select kind, detail ->> 'event' as event from pgpod.job_events where job_id = ${job.id} and kind = 'broadcast_failed'`,
        check: (await tx`select ok from pgpod.setup_checks where name = 'postgres may insert into realtime.messages'`)[0].ok,
      };
      throw rolledBack;
    }).catch((error) => {
      if (error !== rolledBack) throw error;
    });
    expect(seen).toEqual({ written: 0, events: [{ kind: "broadcast_failed", event: "UPDATE" }], check: false });
    expect(warnings).toContain(`pgpod: postgres may not insert into realtime.messages; the UPDATE of job ${job.id} is not broadcast`);
  });
});
