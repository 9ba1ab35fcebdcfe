// pgmq behaviour a pgTAP test cannot see: the warning of the deprecated
// drop_queue(queue_name, partitioned). Holds for the real extension and the
// stand-in (local/sql/pgmq.sql) alike.
import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, expect, test } from "vitest";

const dbUrl = process.env.SUPABASE_DB_URL;
if (!dbUrl) throw new Error("SUPABASE_DB_URL must point at a database with pgmq");

const notices: postgres.Notice[] = [];
const sql = postgres(dbUrl, { max: 1, onnotice: (notice) => notices.push(notice) });

afterAll(() => sql.end());

test("the deprecated drop_queue(queue_name, partitioned) warns and still drops the queue", async () => {
  const queue = `tap_deprecated_${randomUUID().slice(0, 8)}`;
  await sql`select pgmq.create(${queue})`;
  const [{ dropped }] = await sql`select pgmq.drop_queue(${queue}, false) as dropped`;
  expect(dropped).toBe(true);
  expect(notices).toContainEqual(expect.objectContaining({
    severity: "WARNING",
    message: expect.stringMatching(/^drop_queue\(queue_name, partitioned\) is deprecated .*Use drop_queue\(queue_name\) instead/),
  }));
  expect(await sql`select 1 from pgmq.list_queues() where queue_name = ${queue}`).toHaveLength(0);
});

test("drop_queue(queue_name) does not warn", async () => {
  const queue = `tap_current_${randomUUID().slice(0, 8)}`;
  await sql`select pgmq.create(${queue})`;
  notices.length = 0;
  await sql`select pgmq.drop_queue(${queue})`;
  expect(notices.filter((n) => n.severity === "WARNING")).toEqual([]);
});
