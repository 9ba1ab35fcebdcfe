// Postgres Changes: rows of tables in the supabase_realtime publication, sent
// to each subscription whose event, table and filter match and whose role may
// SELECT the row under RLS, checked as that subscriber (the row looked up by
// primary key, as Realtime does). DELETEs are not RLS-checked, as in Realtime;
// columns a role cannot SELECT are left out.
import type { Sql, TransactionSql } from "postgres";
import type { Change, Relation, Value } from "./replication.ts";
import type { Claims } from "./tokens.ts";

export type ChangeEvent = "INSERT" | "UPDATE" | "DELETE" | "*";
const operators = { eq: "=", neq: "<>", lt: "<", lte: "<=", gt: ">", gte: ">=", in: "in" } as const;
type Operator = keyof typeof operators;

export interface Filter {
  column: string;
  operator: Operator;
  /** One value, or the list for `in`. */
  value: string | string[];
}

/** One `postgres_changes` entry of a join, as the client sent it, with the id the reply gives it. */
export interface Binding {
  id: number;
  params: Record<string, unknown>;
  event: ChangeEvent;
  schema: string;
  table?: string;
  filter?: Filter;
}

export interface Subscriber {
  bindings: Binding[];
  claims: Claims;
  /** Sends one postgres_changes push (the ids of the matching bindings and the change). */
  deliver(payload: { ids: number[]; data: Record<string, unknown> }): void;
}

/** Records larger than this lose their values over 64 bytes, as in Realtime. */
const MAX_RECORD_BYTES = 1024 * 1024;
const MAX_KEPT_VALUE_BYTES = 64;

export class BindingError extends Error {}

/** `column=op.value`, with `in.(a,b,"c d")` for lists. */
export function parseFilter(text: string): Filter {
  const match = /^([^=]+)=([a-z]+)\.(.*)$/s.exec(text);
  if (!match) throw new BindingError(`Error parsing \`filter\` params: ${text}`);
  const [, column, operator, raw] = match;
  if (!(operator in operators)) throw new BindingError(`Error parsing \`filter\` params: unsupported operator ${operator}`);
  if (operator !== "in") return { column, operator: operator as Operator, value: raw };
  const list = /^\((.*)\)$/s.exec(raw);
  if (!list) throw new BindingError(`Error parsing \`filter\` params: in needs a list like in.(a,b), got ${raw}`);
  const values = [...list[1].matchAll(/"((?:[^"\\]|\\.)*)"|([^,]+)/g)].map((m) =>
    m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2].trim(),
  );
  return { column, operator: "in", value: values };
}

export function parseBinding(params: unknown): Omit<Binding, "id"> {
  if (typeof params !== "object" || params === null) throw new BindingError("postgres_changes entries must be objects");
  const p = params as Record<string, unknown>;
  const event = typeof p.event === "string" ? p.event.toUpperCase() : "";
  if (!["INSERT", "UPDATE", "DELETE", "*"].includes(event)) throw new BindingError(`unknown postgres_changes event ${String(p.event)}`);
  if (typeof p.schema !== "string" || !p.schema) throw new BindingError("postgres_changes needs a schema");
  if (p.table !== undefined && typeof p.table !== "string") throw new BindingError("postgres_changes table must be a string");
  if (p.filter !== undefined && typeof p.filter !== "string") throw new BindingError("postgres_changes filter must be a string");
  const table = p.table === "*" ? undefined : (p.table as string | undefined);
  if (p.filter && !table) throw new BindingError("a postgres_changes filter needs a table");
  return {
    params: p,
    event: event as ChangeEvent,
    schema: p.schema,
    table,
    filter: p.filter ? parseFilter(p.filter as string) : undefined,
  };
}

/** Checks what Realtime checks when it stores a subscription: the table and filter column exist. */
export async function validateBinding(sql: Sql, binding: Omit<Binding, "id">, role: string): Promise<void> {
  const [found] = await sql<{ oid: number | null; role_ok: boolean }[]>`
    select pg_catalog.to_regclass(pg_catalog.quote_ident(${binding.schema}) || '.' || pg_catalog.quote_ident(${binding.table ?? ""}))::oid as oid,
           pg_catalog.to_regrole(pg_catalog.quote_ident(${role})) is not null as role_ok`;
  // Changes are checked as this role: one that does not exist could never be.
  if (!found.role_ok) throw new BindingError(`role "${role}" does not exist`);
  if (!binding.table) return;
  if (!found.oid) throw new BindingError(`relation "${binding.schema}.${binding.table}" does not exist`);
  if (!binding.filter) return;
  const [column] = await sql`
    select 1 from pg_catalog.pg_attribute
     where attrelid = ${found.oid} and attname = ${binding.filter.column} and attnum > 0 and not attisdropped`;
  if (!column) throw new BindingError(`invalid column for filter ${binding.filter.column}`);
}

interface ColumnType {
  name: string;
  /** pg_type.typname, what `columns` reports ("int8", "uuid", "_text"). */
  typname: string;
  /** The type as SQL can cast to it ("character varying(20)"). */
  sqlType: string;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

export function createChangeDispatcher(sql: Sql, log: (line: string) => void) {
  const typeCache = new Map<string, { typname: string; sqlType: string }>();

  async function columnTypes(relation: Relation): Promise<ColumnType[]> {
    const missing = relation.columns.filter((c) => !typeCache.has(`${c.typeOid}/${c.typeMod}`));
    if (missing.length > 0) {
      const rows = await sql<{ oid: number; mod: number; typname: string; sql_type: string }[]>`
        select t.oid::int as oid, m.mod::int as mod, t.typname::text as typname, pg_catalog.format_type(t.oid, m.mod) as sql_type
          from pg_catalog.jsonb_to_recordset(${JSON.stringify(missing.map((c) => ({ oid: c.typeOid, mod: c.typeMod })))}::text::jsonb) as m(oid oid, mod int)
          join pg_catalog.pg_type t on t.oid = m.oid`;
      for (const row of rows) typeCache.set(`${row.oid}/${row.mod}`, { typname: row.typname, sqlType: row.sql_type });
    }
    return relation.columns.map((c) => ({ name: c.name, ...typeCache.get(`${c.typeOid}/${c.typeMod}`)! }));
  }

  function matchesTable(binding: Binding, change: Change): boolean {
    const { schema, table } = change.relation;
    return (
      (binding.event === "*" || binding.event === change.kind) &&
      (binding.schema === "*" || binding.schema === schema) &&
      (binding.table === undefined || binding.table === table)
    );
  }

  /**
   * The row values as JSON exactly as Postgres renders them (to_jsonb of each
   * value cast to its column type), and each filter evaluated in SQL with the
   * column's type, so `lt` on numbers or timestamps compares like Postgres.
   */
  async function renderRows(tx: TransactionSql, types: ColumnType[], change: Change, filters: Filter[]) {
    const params: Array<string | string[] | null> = [];
    const param = (value: string | string[] | null) => {
      params.push(value);
      return `$${params.length}`;
    };
    const present = (values: Value[] | undefined, keyOnly: boolean) =>
      types
        .map((type, i) => ({ type, value: values?.[i], key: change.relation.columns[i].key }))
        .filter((c) => values && c.value !== undefined && (!keyOnly || c.key));
    const newColumns = present(change.row, false);
    // With the default replica identity an unchanged key is not resent: the new row has it.
    const oldColumns = change.old ? present(change.old, change.oldIsKey) : change.kind === "UPDATE" ? present(change.row, true) : [];
    const rowSql = (columns: typeof newColumns) =>
      columns.length === 0
        ? "select"
        : `select ${columns.map((c) => `${param(c.value as string | null)}::text::${c.type.sqlType} as ${quoteIdent(c.type.name)}`).join(", ")}`;
    const filterTarget = change.kind === "DELETE" ? oldColumns : newColumns;
    const filterSql = filters.map((filter) => {
      const column = filterTarget.find((c) => c.type.name === filter.column);
      if (!column) return "null::boolean";
      const target = `${change.kind === "DELETE" ? "o" : "n"}.${quoteIdent(column.type.name)}`;
      if (filter.operator === "in") return `${target} = any(${param(filter.value as string[])}::text[]::${column.type.sqlType}[])`;
      return `${target} ${operators[filter.operator]} ${param(filter.value as string)}::text::${column.type.sqlType}`;
    });
    const query = `
      select case when ${change.row ? "true" : "false"} then to_jsonb(n.*) end as record,
             case when ${change.kind === "INSERT" ? "false" : "true"} then to_jsonb(o.*) end as old_record
             ${filterSql.map((f, i) => `, ${f} as f${i}`).join("")}
        from (${rowSql(newColumns)}) n, (${rowSql(oldColumns)}) o`;
    const [row] = await tx.unsafe(query, params as never[]);
    return {
      record: row.record as Record<string, unknown> | null,
      oldRecord: row.old_record as Record<string, unknown> | null,
      filterResults: filters.map((_, i) => row[`f${i}`] === true),
    };
  }

  /** Column names each role may SELECT, and whether it may SELECT the row (RLS, as that subscriber). */
  async function visibility(tx: TransactionSql, change: Change, types: ColumnType[], subscribers: Subscriber[]) {
    const { schema, table } = change.relation;
    const qualified = `${quoteIdent(schema)}.${quoteIdent(table)}`;
    const roles = [...new Set(subscribers.map((s) => s.claims.role))];
    const grants = await tx<{ role: string; columns: string[] | null }[]>`
      select r.role, array_agg(a.attname::text order by a.attnum)
               filter (where pg_catalog.has_column_privilege(r.role, a.attrelid, a.attnum, 'SELECT')) as columns
        from pg_catalog.unnest(${roles}::text[]) as r(role)
        cross join pg_catalog.pg_attribute a
       where a.attrelid = ${qualified}::regclass and a.attnum > 0 and not a.attisdropped
       group by r.role`;
    const selectable = new Map(grants.map((g) => [g.role, new Set(g.columns ?? [])]));
    const keys = types.map((t, i) => ({ t, i })).filter(({ i }) => change.relation.columns[i].key);
    const keyValues = change.kind === "DELETE" ? change.old : change.row;
    const visible = new Map<Subscriber, boolean>();
    if (change.kind === "DELETE") {
      for (const s of subscribers) visible.set(s, true);
      return { selectable, visible, hasKey: keys.length > 0 };
    }
    if (keys.length === 0) return { selectable, visible, hasKey: false };
    const where = keys.map(({ t }, n) => `${quoteIdent(t.name)} = $${n + 1}::text::${t.sqlType}`).join(" and ");
    const lookup = `select count(*)::int as n from ${qualified} where ${where}`;
    const keyParams = keys.map(({ i }) => keyValues?.[i] ?? null);
    const byClaims = new Map<string, Subscriber[]>();
    for (const s of subscribers) {
      const claims = JSON.stringify(s.claims);
      byClaims.set(claims, [...(byClaims.get(claims) ?? []), s]);
    }
    for (const [claims, group] of byClaims) {
      const role = group[0].claims.role;
      if ((selectable.get(role)?.size ?? 0) === 0) continue;
      let seen = false;
      try {
        // A policy that raises for one subscriber hides the row from that subscriber only.
        await tx.savepoint(async (sp) => {
          await sp`
            select pg_catalog.set_config('role', ${role}, true),
                   pg_catalog.set_config('request.jwt.claims', ${claims}, true),
                   pg_catalog.set_config('request.jwt.claim.sub', ${typeof group[0].claims.sub === "string" ? group[0].claims.sub : ""}, true),
                   pg_catalog.set_config('request.jwt.claim.role', ${role}, true)`;
          const [found] = await sp.unsafe(lookup, keyParams as never[]);
          seen = found.n > 0;
          await sp`select pg_catalog.set_config('role', 'none', true)`;
        });
      } catch (error) {
        log(`RLS check of ${qualified} as ${role} failed: ${(error as Error).message}`);
      }
      for (const s of group) visible.set(s, seen);
    }
    return { selectable, visible, hasKey: true };
  }

  function limitSize(record: Record<string, unknown> | null): { record: Record<string, unknown> | null; tooLarge: boolean } {
    if (!record || Buffer.byteLength(JSON.stringify(record)) <= MAX_RECORD_BYTES) return { record, tooLarge: false };
    const kept = Object.entries(record).filter(([, v]) => Buffer.byteLength(JSON.stringify(v) ?? "") <= MAX_KEPT_VALUE_BYTES);
    return { record: Object.fromEntries(kept), tooLarge: true };
  }

  function only(record: Record<string, unknown> | null, columns: Set<string>) {
    return record && Object.fromEntries(Object.entries(record).filter(([k]) => columns.has(k)));
  }

  /** Delivers one replicated change to every subscriber it is for. */
  async function dispatch(change: Change, commitTime: Date, subscribers: Iterable<Subscriber>): Promise<void> {
    const candidates = [...subscribers]
      .map((s) => ({ s, bindings: s.bindings.filter((b) => matchesTable(b, change)) }))
      .filter((c) => c.bindings.length > 0);
    if (candidates.length === 0) return;
    const types = await columnTypes(change.relation);
    const filters = [...new Set(candidates.flatMap((c) => c.bindings.map((b) => b.filter).filter((f): f is Filter => !!f)))];
    await sql.begin(async (tx) => {
      const rendered = await renderRows(tx, types, change, filters);
      const passes = (b: Binding) => !b.filter || rendered.filterResults[filters.indexOf(b.filter)];
      const matched = candidates
        .map((c) => ({ s: c.s, ids: c.bindings.filter(passes).map((b) => b.id) }))
        .filter((c) => c.ids.length > 0);
      if (matched.length === 0) return;
      const { selectable, visible, hasKey } = await visibility(tx, change, types, matched.map((m) => m.s));
      for (const { s, ids } of matched) {
        const columns = selectable.get(s.claims.role) ?? new Set<string>();
        const data: Record<string, unknown> = {
          schema: change.relation.schema,
          table: change.relation.table,
          commit_timestamp: commitTime.toISOString(),
          type: change.kind,
          columns: types.filter((t) => columns.has(t.name)).map((t) => ({ name: t.name, type: t.typname })),
          errors: null,
        };
        if (columns.size === 0) {
          data.errors = ["Error 401: Unauthorized"];
        } else if (!hasKey) {
          data.errors = ["Error 400: Bad Request, no primary key"];
        } else {
          if (!visible.get(s)) continue;
          const record = limitSize(only(rendered.record, columns));
          const oldRecord = limitSize(only(rendered.oldRecord, columns));
          if (change.kind !== "DELETE") data.record = record.record;
          if (change.kind !== "INSERT") data.old_record = oldRecord.record;
          if (record.tooLarge || oldRecord.tooLarge) data.errors = ["Error 413: Payload Too Large"];
        }
        s.deliver({ ids, data });
      }
    });
  }

  return { dispatch };
}
