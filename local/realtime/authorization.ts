// Private channels, authorized the way Realtime does it: the realtime.messages
// policies decide, evaluated as the JWT's role with its claims and
// realtime.topic() set. Reading probes rows the server inserts itself; writing
// tries an insert as the caller. Both run in transactions that are rolled back.
import { randomUUID } from "node:crypto";
import type { Sql, TransactionSql } from "postgres";
import type { Claims } from "./tokens.ts";

export type Extension = "broadcast" | "presence";

export interface Caller {
  claims: Claims;
  /** The upgrade request's headers, as request.headers. */
  headers: Record<string, unknown>;
}

class Rollback extends Error {}

async function rolledBack<T>(sql: Sql, work: (tx: TransactionSql) => Promise<T>): Promise<T> {
  let result: T | undefined;
  try {
    await sql.begin(async (tx) => {
      result = await work(tx);
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback)) throw error;
  }
  return result as T;
}

async function actAs(tx: TransactionSql, caller: Caller, topic: string): Promise<void> {
  const { claims } = caller;
  await tx`
    select pg_catalog.set_config('role', ${claims.role}, true),
           pg_catalog.set_config('realtime.topic', ${topic}, true),
           pg_catalog.set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
           pg_catalog.set_config('request.jwt.claim.sub', ${typeof claims.sub === "string" ? claims.sub : ""}, true),
           pg_catalog.set_config('request.jwt.claim.role', ${claims.role}, true),
           pg_catalog.set_config('request.headers', ${JSON.stringify(caller.headers)}, true)`;
}

/** Which extensions the caller may read on `topic` (a sub-topic, without "realtime:"). */
export async function readableExtensions(sql: Sql, caller: Caller, topic: string, extensions: Extension[]): Promise<Set<Extension>> {
  return rolledBack(sql, async (tx) => {
    const probes = extensions.map((extension) => ({ id: randomUUID(), extension }));
    await tx`
      insert into realtime.messages (id, topic, extension, event, private)
      select p.id, ${topic}, p.extension, 'authorization_probe', true
        from pg_catalog.jsonb_to_recordset(${JSON.stringify(probes)}::text::jsonb) as p(id uuid, extension text)`;
    await actAs(tx, caller, topic);
    const visible = await tx<{ extension: Extension }[]>`
      select extension from realtime.messages where id = any(${probes.map((p) => p.id)}::uuid[])`;
    return new Set(visible.map((row) => row.extension));
  });
}

/** Whether the caller may send `extension` messages on `topic`: the INSERT policies decide. */
export async function canWrite(sql: Sql, caller: Caller, topic: string, extension: Extension): Promise<boolean> {
  return rolledBack(sql, async (tx) => {
    await actAs(tx, caller, topic);
    try {
      await tx.savepoint((sp) => sp`
        insert into realtime.messages (topic, extension, event, private)
        values (${topic}, ${extension}, 'authorization_probe', true)`);
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === "42501") return false;
      throw error;
    }
  });
}
