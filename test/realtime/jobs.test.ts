// Owners watch their jobs through the stack's Realtime, as the README shows:
// the private per-owner broadcast topic and Postgres Changes on pgpod.jobs,
// under both serializer versions, and nobody sees another owner's jobs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestEndpoint, type TestEndpoint } from "../sql/endpoint-fixture.ts";
import { client, collector, createUser, env, insertJobAs, sql, subscribe, waitFor, type User, type Vsn } from "./harness.ts";

type JobRow = { id: string; status: string; output: unknown; owner_id: string };
interface Broadcast {
  event: string;
  payload: { operation: string; record: JobRow | null; old_record: Partial<JobRow> | null; table: string; schema: string };
  meta?: { id: string };
}
interface Change {
  eventType: string;
  new: Partial<JobRow>;
  old: Partial<JobRow>;
  commit_timestamp: string;
  errors: unknown;
  table: string;
}

const order = ["queued", "submitting", "submitted", "running", "succeeded"];

let a: User;
let b: User;
let endpoint: TestEndpoint;
beforeAll(async () => {
  [a, b] = await Promise.all([createUser(), createUser()]);
  endpoint = await createTestEndpoint(sql, "rt_jobs", { runpod: { apiBase: `${env.RUNPOD_EMULATOR_URL}/v2`, endpointId: "noop" } });
});
afterAll(() => endpoint.drop());

describe.each<Vsn>(["1.0.0", "2.0.0"])("jobs watched through Realtime, vsn %s", (vsn) => {
  it("the owner receives each state change in order, ending with succeeded and the output; others receive none", async () => {
    const owner = await client(env.SUPABASE_URL, a.token, vsn);
    const broadcasts = collector<Broadcast>();
    const changes = collector<Change>();
    await subscribe(
      owner.supabase.channel(`pgpod:jobs:${a.id}`, { config: { private: true } }).on("broadcast", { event: "*" }, broadcasts.push),
    );

    const other = await client(env.SUPABASE_URL, b.token, vsn);
    const othersChanges = collector<Change>();
    await subscribe(other.supabase.channel("all-jobs").on("postgres_changes", { event: "*", schema: "pgpod", table: "jobs" }, othersChanges.push));
    const refused = subscribe(other.supabase.channel(`pgpod:jobs:${a.id}`, { config: { private: true } }));
    await expect(refused).rejects.toThrow(`Unauthorized: You do not have permissions to read from this Channel topic: pgpod:jobs:${a.id}`);

    // The id is known before the insert commits: the filtered subscription sees the whole life of the job.
    const jobId = await insertJobAs(a, endpoint.name, { n: 1 }, (id) =>
      subscribe(
        owner.supabase
          .channel(`job-${id}`)
          .on("postgres_changes", { event: "*", schema: "pgpod", table: "jobs", filter: `id=eq.${id}` }, changes.push),
      ),
    );
    // B's own job proves B's subscription delivers at all.
    const bJob = await insertJobAs(b, endpoint.name, { n: 2 });

    const last = await waitFor(
      "the owner to see the job succeed",
      async () => broadcasts.items.find((m) => m.payload.record?.status === "succeeded"),
      60_000,
    );
    await waitFor("Postgres Changes to report the job succeeded", async () => changes.items.find((c) => c.new.status === "succeeded"), 10_000);
    await waitFor("B to see its own job", async () => othersChanges.items.find((c) => c.new.id === bJob), 10_000);

    const mine = broadcasts.items.filter((m) => m.payload.record?.id === jobId || m.payload.old_record?.id === jobId);
    expect(mine[0]).toMatchObject({ event: "INSERT", payload: { operation: "INSERT", old_record: null, table: "jobs", schema: "pgpod" } });
    expect(mine[0].payload.record).toMatchObject({ id: jobId, owner_id: a.id, status: "queued" });
    expect(mine.slice(1).every((m) => m.event === "UPDATE")).toBe(true);
    expect(mine.every((m) => typeof m.meta?.id === "string")).toBe(true);
    const statuses = mine.map((m) => m.payload.record!.status);
    expect([...statuses].sort((x, y) => order.indexOf(x) - order.indexOf(y))).toEqual(statuses);
    expect(statuses.at(-1)).toBe("succeeded");
    expect(last.payload.record!.output).toEqual({ ok: true });
    expect(mine.at(-1)).toBe(last);

    // Postgres Changes saw the same commits in the same order, and the claim, which is not broadcast.
    expect(changes.items.map((c) => c.new.status)).toEqual(["queued", "submitting", ...statuses.slice(1)]);
    expect(statuses).not.toContain("submitting");
    expect(changes.items[0]).toMatchObject({ eventType: "INSERT", table: "jobs", errors: null, old: {} });
    expect(changes.items.at(-1)).toMatchObject({ eventType: "UPDATE", new: { output: { ok: true } }, old: { id: jobId } });
    expect(changes.items.every((c) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(c.commit_timestamp))).toBe(true);

    // DELETEs reach every subscriber unfiltered, as on Supabase (other test files delete jobs meanwhile), with the id alone.
    expect(othersChanges.items.filter((c) => c.eventType !== "DELETE" && c.new.owner_id !== b.id)).toEqual([]);
    expect(othersChanges.items.filter((c) => c.eventType === "DELETE" && Object.keys(c.old).join() !== "id")).toEqual([]);
    expect(broadcasts.items.filter((m) => m.payload.record?.owner_id !== a.id)).toEqual([]);
  });
});
