// Inserting jobs never waits on another inserter's dispatcher kick, even when
// that inserter's transaction stays open; each insert is enqueued and kicks.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../support/stack.ts";
import { createTestEndpoint, type TestEndpoint } from "./endpoint-fixture.ts";

const sql = db(10);
afterAll(() => sql.end());

const lockWaitRefused = "55P03";

describe("the insert kick under load", () => {
  let endpoint: TestEndpoint;
  beforeAll(async () => {
    endpoint = await createTestEndpoint(sql, "vt_kick");
    const secrets = await sql`select name from vault.decrypted_secrets
                              where name in ('pgpod_project_url', 'pgpod_dispatch_secret')`;
    expect(secrets).toHaveLength(2);
  });
  afterAll(() => endpoint?.drop());

  /** One inserting transaction that fails instead of waiting for any lock. */
  const insertOne = (n: number) =>
    sql.begin(async (tx) => {
      await tx`set local lock_timeout = '2s'`;
      await tx`insert into pgpod.jobs (endpoint, input) values (${endpoint.name}, ${sql.json({ n })})`;
    });

  it("lets others insert while a kicking transaction stays open", async () => {
    // Forget earlier kicks so the open transaction below is the one that kicks.
    await sql`select setval('pgpod.kick_clock', 0)`;
    const holder = await sql.reserve();
    try {
      await holder`begin`;
      await holder`insert into pgpod.jobs (endpoint, input) values (${endpoint.name}, '{"holder": true}')`;
      const [{ kicked }] = await holder<{ kicked: string | null }[]>`select current_setting('pgpod.kicked', true) as kicked`;
      expect(kicked).toBe("on");

      const inserts = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => insertOne(i)));
      const refused = inserts.filter((r) => r.status === "rejected");
      expect(refused.map((r) => (r as PromiseRejectedResult).reason?.code)).not.toContain(lockWaitRefused);
      expect(refused).toEqual([]);
      await holder`commit`;
    } finally {
      holder.release();
    }

    const [{ jobs, messages }] = await sql<{ jobs: number; messages: number }[]>`
      select (select count(*)::int from pgpod.jobs where endpoint = ${endpoint.name}) as jobs,
             (select count(*)::int from pgmq.${sql(`q_${endpoint.queue}`)}) as messages`;
    expect({ jobs, messages }).toEqual({ jobs: 41, messages: 41 });
  });

  it("has many concurrent inserting connections all succeed without lock waits", async () => {
    const before = await sql<{ n: number }[]>`select count(*)::int as n from pgpod.jobs where endpoint = ${endpoint.name}`;
    const workers = Array.from({ length: 8 }, (_, w) =>
      (async () => {
        for (let i = 0; i < 25; i++) await insertOne(w * 100 + i);
      })(),
    );
    await Promise.all(workers);
    const after = await sql<{ n: number }[]>`select count(*)::int as n from pgpod.jobs where endpoint = ${endpoint.name}`;
    expect(after[0].n - before[0].n).toBe(200);
  });
});
