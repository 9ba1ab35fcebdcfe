// Sends the scenario the way apps do: as signed-in users, through their role
// and JWT claims, so RLS, auth.uid() and the insert triggers all apply.
import type { Sql, TransactionSql } from "postgres";
import { demoUsers, type Expected, type Step } from "./scenario.ts";

export interface DemoUser {
  id: string;
  name: string;
  email: string;
}

export interface TrackedJob {
  id: string;
  endpoint: string;
  expected: Expected;
  label: string;
  user: DemoUser;
  documentId?: string;
}

export interface SubmitFailure {
  step: Step;
  error: string;
}

/** The demo's users, created once per database and reused by later runs. */
export async function ensureUsers(sql: Sql): Promise<DemoUser[]> {
  const rows = await sql<{ id: string; email: string }[]>`
    insert into auth.users (email, raw_user_meta_data)
    select u.email, jsonb_build_object('name', u.name)
    from jsonb_to_recordset(${sql.json(demoUsers)}) as u(name text, email text)
    on conflict (email) do update set updated_at = now()
    returning id, email`;
  return demoUsers.map((u) => ({ ...u, id: rows.find((r) => r.email === u.email)!.id }));
}

/** Runs fn in a transaction as the user, like PostgREST does for a request with their JWT. */
export function asUser<T>(sql: Sql, user: DemoUser, fn: (tx: TransactionSql) => Promise<T>): Promise<T> {
  const claims = { sub: user.id, role: "authenticated", aud: "authenticated", email: user.email };
  return sql.begin(async (tx) => {
    await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
    await tx`set local role authenticated`;
    return fn(tx);
  }) as Promise<T>;
}

type Ids = Array<{ id: string; documentId?: string }>;

async function perform(tx: TransactionSql, step: Step, runTag: string): Promise<{ endpoint: string; ids: Ids }> {
  const a = step.action;
  switch (a.kind) {
    case "image": {
      const rows = await tx<{ id: string }[]>`
        insert into pgpod.jobs (endpoint, input) values ('image', ${tx.json({ prompt: a.prompt, width: 256, height: 256 })})
        returning id`;
      return { endpoint: "image", ids: rows };
    }
    case "variations": {
      const rows = await tx<{ id: string }[]>`
        insert into pgpod.jobs (endpoint, input)
        select 'image', jsonb_build_object('prompt', ${a.prompt} || ', variation ' || n, 'width', 256, 'height', 256)
        from generate_series(1, ${a.count}::int) n
        returning id`;
      return { endpoint: "image", ids: rows };
    }
    case "document": {
      const [doc] = await tx<{ id: string }[]>`
        insert into public.documents (title, audio_url) values (${a.title}, ${a.audioUrl}) returning id`;
      const rows = await tx<{ id: string }[]>`
        select id from pgpod.jobs where source_table = 'public.documents' and source_id = ${doc.id}`;
      return { endpoint: "transcribe", ids: rows.map((r) => ({ id: r.id, documentId: doc.id })) };
    }
    case "flaky": {
      // The key is unique per demo run: the emulator counts failures per key.
      const input = a.fail ? { fail: true } : { key: `${runTag}-${a.key}`, fail_times: a.failTimes };
      const rows = await tx<{ id: string }[]>`
        select id from pgpod.submit('flaky', ${tx.json(input)}, ${`${runTag}-${a.key}`})`;
      return { endpoint: "flaky", ids: rows };
    }
    case "upload": {
      const rows = await tx<{ id: string }[]>`
        insert into pgpod.jobs (endpoint, input) values ('upload', ${tx.json({ prompt: a.prompt })}) returning id`;
      return { endpoint: "upload", ids: rows };
    }
    case "cancel": {
      const rows = await tx<{ id: string }[]>`
        insert into pgpod.jobs (endpoint, input) values ('sleep', ${tx.json({ ms: a.ms })}) returning id`;
      return { endpoint: "sleep", ids: rows };
    }
  }
}

/** Waits until RunPod has the job, then cancels it as its owner, as a user pressing "Stop" would. */
async function cancelOnceSubmitted(sql: Sql, user: DemoUser, jobId: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const [job] = await asUser(sql, user, (tx) => tx<{ status: string }[]>`select status from pgpod.jobs where id = ${jobId}`);
    if (job.status === "submitted" || job.status === "running") break;
    await new Promise((r) => setTimeout(r, 250));
  }
  await asUser(sql, user, (tx) => tx`select status from pgpod.cancel(${jobId})`);
}

export interface Traffic {
  jobs: TrackedJob[];
  failures: SubmitFailure[];
  /** Resolves when every step was sent (and the cancel was requested). */
  done: Promise<void>;
}

/** Sends the steps evenly over durationMs; `jobs` fills in as they are inserted. */
export function sendTraffic(sql: Sql, users: DemoUser[], steps: Step[], durationMs: number): Traffic {
  const runTag = Date.now().toString(36);
  const traffic: Traffic = { jobs: [], failures: [], done: Promise.resolve() };
  const startedAt = Date.now();
  const sends = steps.map(async (step, index) => {
    const at = startedAt + (index * durationMs) / steps.length;
    await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
    const user = users[step.user];
    try {
      const { endpoint, ids } = await asUser(sql, user, (tx) => perform(tx, step, runTag));
      for (const { id, documentId } of ids) {
        traffic.jobs.push({ id, endpoint, expected: step.expected, label: step.label, user, documentId });
      }
      if (step.action.kind === "cancel") await cancelOnceSubmitted(sql, user, ids[0].id);
    } catch (error) {
      traffic.failures.push({ step, error: error instanceof Error ? error.message : String(error) });
    }
  });
  traffic.done = Promise.all(sends).then(() => undefined);
  return traffic;
}
