// Postgres Changes on a table of the test's own: every filter operator, the
// three events, the payload fields, RLS checked as each subscriber, and
// columns a role may not SELECT left out.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, collector, createUser, signToken, sql, startOwnRealtime, subscribe, waitFor, type OwnRealtime, type User, type Vsn } from "./harness.ts";

interface Change {
  eventType: string;
  schema: string;
  table: string;
  commit_timestamp: string;
  new: Record<string, unknown>;
  old: Record<string, unknown>;
  errors: unknown;
}

const table = `rt_changes_${Math.random().toString(36).slice(2, 8)}`;
let realtime: OwnRealtime;
let a: User;
let b: User;

beforeAll(async () => {
  [a, b] = await Promise.all([createUser(), createUser()]);
  await sql.unsafe(`
    create table public.${table} (
      id int primary key,
      owner_id uuid not null,
      n int not null,
      label text,
      seen_at timestamptz default now(),
      tags text[] default '{x,y}',
      secret text default 'hidden'
    );
    alter table public.${table} enable row level security;
    create policy owner_reads on public.${table} for select to authenticated using (owner_id = (select auth.uid()));
    -- raises for a caller whose token says so, to prove one failing check harms no one else
    create policy raises_on_request on public.${table} for select to authenticated
      using ((select auth.jwt() ->> 'explode')::int > 0);
    grant select (id, owner_id, n, label, seen_at, tags) on public.${table} to authenticated;
    alter publication supabase_realtime add table public.${table};`);
  realtime = await startOwnRealtime();
});

afterAll(async () => {
  await sql.unsafe(`drop table public.${table}`);
});

const insertRows = (owner: User, from: number, count: number) =>
  sql.unsafe(
    `insert into public.${table} (id, owner_id, n, label) select g, $1::uuid, g - ${from - 1}, 'row ' || g from generate_series(${from}, ${from + count - 1}) g`,
    [owner.id],
  );

describe.each<Vsn>(["1.0.0", "2.0.0"])("vsn %s", (vsn) => {
  const base = vsn === "1.0.0" ? 100 : 200;

  it("applies each filter operator in the column's type, and only to rows the subscriber may read", async () => {
    const owner = await client(realtime.url, a.token, vsn);
    const filters = ["n=eq.5", "n=neq.5", "n=lt.5", "n=lte.5", "n=gt.5", "n=gte.5", "n=in.(1,5,9)", "label=eq.row " + (base + 10)];
    const received = new Map(filters.map((f) => [f, collector<Change>()]));
    for (const filter of filters) {
      await subscribe(
        owner.supabase
          .channel(`f-${filter}`)
          .on("postgres_changes", { event: "INSERT", schema: "public", table, filter }, received.get(filter)!.push),
      );
    }
    const other = await client(realtime.url, b.token, vsn);
    const others = collector<Change>();
    await subscribe(other.supabase.channel("everything").on("postgres_changes", { event: "*", schema: "public", table }, others.push));

    await insertRows(a, base + 1, 10);
    await insertRows(b, base + 50, 1);
    await waitFor("B's own row", async () => others.items.length > 0, 10_000);
    await waitFor("the unfiltered-by-value subscriptions", async () => received.get("n=neq.5")!.items.length === 9, 10_000);
    await waitFor("the label filter", async () => received.get(`label=eq.row ${base + 10}`)!.items.length === 1, 10_000);

    const ns = (filter: string) => received.get(filter)!.items.map((c) => c.new.n);
    expect(ns("n=eq.5")).toEqual([5]);
    expect(ns("n=neq.5")).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 10]);
    expect(ns("n=lt.5")).toEqual([1, 2, 3, 4]);
    expect(ns("n=lte.5")).toEqual([1, 2, 3, 4, 5]);
    expect(ns("n=gt.5")).toEqual([6, 7, 8, 9, 10]);
    expect(ns("n=gte.5")).toEqual([5, 6, 7, 8, 9, 10]);
    expect(ns("n=in.(1,5,9)")).toEqual([1, 5, 9]);
    expect(ns(`label=eq.row ${base + 10}`)).toEqual([10]);

    const five = received.get("n=eq.5")!.items[0];
    expect(five).toMatchObject({ eventType: "INSERT", schema: "public", table, errors: null, old: {} });
    expect(five.new).toEqual({
      id: base + 5,
      owner_id: a.id,
      n: 5,
      label: `row ${base + 5}`,
      seen_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00$/),
      tags: ["x", "y"],
    });
    expect(five.commit_timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    // B got its own row, without the column it may not SELECT, and none of A's.
    expect(others.items.map((c) => c.new.owner_id)).toEqual([b.id]);
    expect(others.items[0].new).not.toHaveProperty("secret");
  });

  it("sends UPDATE with the new row and the key of the old one, and DELETE with the old key", async () => {
    const owner = await client(realtime.url, a.token, vsn);
    const updates = collector<Change>();
    const deletes = collector<Change>();
    const id = base + 3;
    await subscribe(
      owner.supabase
        .channel("updates-and-deletes")
        .on("postgres_changes", { event: "UPDATE", schema: "public", table, filter: `id=eq.${id}` }, updates.push)
        .on("postgres_changes", { event: "DELETE", schema: "public", table }, deletes.push),
    );
    await sql.unsafe(`update public.${table} set label = 'changed' where id = ${id}`);
    // Realtime checks RLS against the row as it is by then: a row already deleted is not sent.
    await waitFor("the update", async () => updates.items.length === 1, 10_000);
    await sql.unsafe(`delete from public.${table} where id = ${id}`);
    await waitFor("the delete", async () => deletes.items.length === 1, 10_000);

    expect(updates.items).toHaveLength(1);
    expect(updates.items[0]).toMatchObject({ eventType: "UPDATE", new: { id, label: "changed", n: 3 }, old: { id } });
    expect(Object.keys(updates.items[0].old)).toEqual(["id"]);
    expect(deletes.items[0]).toMatchObject({ eventType: "DELETE", old: { id }, new: {} });
  });
});

describe("subscribers whose checks fail", () => {
  it("miss the change alone: a policy raising for one, a role that does not exist for another", async () => {
    const owner = await client(realtime.url, a.token);
    const ownerGot = collector<Change>();
    await subscribe(owner.supabase.channel("owner-sees").on("postgres_changes", { event: "INSERT", schema: "public", table }, ownerGot.push));
    const exploding = await client(realtime.url, await signToken({ role: "authenticated", sub: a.id, explode: "yes" }));
    const explodingGot = collector<Change>();
    await subscribe(exploding.supabase.channel("explodes").on("postgres_changes", { event: "INSERT", schema: "public", table }, explodingGot.push));
    const ghost = await client(realtime.url, await signToken({ role: "no_such_role" }));
    const system = collector<{ extension: string; status: string; message: string }>();
    await subscribe(ghost.supabase.channel("ghost").on("system", {}, system.push).on("postgres_changes", { event: "*", schema: "public" }, () => {}));
    await waitFor("the ghost's system message", async () => system.items.length > 0, 5000);
    expect(system.items[0]).toMatchObject({ extension: "postgres_changes", status: "error", message: expect.stringContaining('role "no_such_role" does not exist') });

    await insertRows(a, 301, 1);
    await waitFor("the owner's row", async () => ownerGot.items.some((c) => c.new.id === 301), 10_000);
    expect(explodingGot.items).toEqual([]);
  });
});

describe("the system message after a join", () => {
  async function systemMessage(filter: string) {
    const owner = await client(realtime.url, a.token);
    const system = collector<{ extension: string; status: string; message: string }>();
    await subscribe(
      owner.supabase
        .channel(`system-${filter}`)
        .on("system", {}, system.push)
        .on("postgres_changes", { event: "*", schema: "public", table, filter }, () => {}),
    );
    return waitFor("the system message", async () => system.items.find((m) => m.extension === "postgres_changes"), 5000);
  }

  it("confirms a subscription the server could store", async () => {
    expect(await systemMessage("n=eq.1")).toMatchObject({ status: "ok", message: "Subscribed to PostgreSQL" });
  });

  it("reports a filter on a column the table does not have", async () => {
    expect(await systemMessage("nope=eq.1")).toMatchObject({ status: "error", message: expect.stringContaining("invalid column for filter nope") });
  });
});
