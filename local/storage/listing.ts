// `POST /object/list/{bucket}`: one folder level of a bucket, as the caller
// sees it. Deeper keys show as folders (name only, every other field null),
// keys at this level as files, like the Storage API's `storage.search`.
import type { StorageContext } from "./context.ts";
import { asCaller, transaction } from "./database.ts";
import { errors } from "./errors.ts";
import type { Claims } from "./tokens.ts";

const sortableColumns = new Set(["name", "id", "updated_at", "created_at", "last_accessed_at"]);

export interface ListRequest {
  prefix: string;
  limit: number;
  offset: number;
  sortColumn: string;
  sortOrder: "asc" | "desc";
  search: string;
}

export function parseListRequest(body: Record<string, unknown>): ListRequest {
  const { prefix = "", limit = 100, offset = 0, search = "", sortBy = {} } = body;
  const sort = (sortBy ?? {}) as { column?: unknown; order?: unknown };
  const column = sort.column ?? "name";
  const order = String(sort.order ?? "asc").toLowerCase();
  const validNumbers = Number.isInteger(limit) && Number.isInteger(offset) && (limit as number) >= 0 && (offset as number) >= 0;
  if (typeof prefix !== "string" || typeof search !== "string" || !validNumbers) {
    throw errors.invalidRequest("prefix and search must be strings, limit and offset non-negative integers");
  }
  if (typeof column !== "string" || !sortableColumns.has(column) || (order !== "asc" && order !== "desc")) {
    throw errors.invalidRequest("sortBy must name a column of the listing and an order asc or desc");
  }
  const folder = prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
  return { prefix: folder, limit: limit as number, offset: offset as number, sortColumn: column, sortOrder: order, search };
}

export async function listObjects(ctx: StorageContext, bucket: string, list: ListRequest, claims: Claims) {
  const direction = list.sortOrder === "desc" ? ctx.sql`desc` : ctx.sql`asc`;
  return transaction(ctx.sql, (tx) =>
    asCaller(tx, claims, () => tx`
      with visible as (
        select o.id, o.updated_at, o.created_at, o.last_accessed_at, o.metadata,
               substr(o.name, ${list.prefix.length + 1}) as rest
        from storage.objects o
        where o.bucket_id = ${bucket} and starts_with(o.name, ${list.prefix})
      ), entries as (
        select distinct split_part(rest, '/', 1) as name from visible
      )
      select e.name, f.id, f.updated_at, f.created_at, f.last_accessed_at, f.metadata
      from entries e left join visible f on f.rest = e.name
      where e.name <> '' and starts_with(lower(e.name), lower(${list.search}))
      order by ${tx(list.sortColumn)} ${direction}, e.name ${direction}
      limit ${list.limit} offset ${list.offset}`),
  );
}
