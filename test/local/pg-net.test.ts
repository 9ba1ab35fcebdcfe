// The local pg_net stand-in: local/sql/pg_net.sql (applied by the stack) and the
// worker in local/net/worker.ts. Another worker (the stack's services process)
// may serve the same database, so every assertion is about requests this file
// queued, as seen by its own HTTP server and in net._http_response.
import { freePort } from "../../local/stack/ports.ts";
import { waitFor } from "../support/wait.ts";
import { randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { sendRequest } from "../../local/net/send.ts";
import { startNetWorker, type NetWorker } from "../../local/net/worker.ts";

const dbUrl = process.env.SUPABASE_DB_URL;
if (!dbUrl) throw new Error("SUPABASE_DB_URL must point at a database with local/sql/pg_net.sql applied");

interface Received {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

interface ResponseRow {
  id: string;
  status_code: number | null;
  content_type: string | null;
  headers: Record<string, string> | null;
  content: string | null;
  timed_out: boolean | null;
  error_msg: string | null;
}

const sql = postgres(dbUrl, { max: 4, onnotice: () => {} });
const received: Received[] = [];
const logLines: string[] = [];
let server: Server;
let baseUrl: string;
let worker: NetWorker;

function startWorker(options: { ttl?: string } = {}): Promise<NetWorker> {
  return startNetWorker({ dbUrl: dbUrl!, log: (line) => logLines.push(line), ...options });
}

// Paths ending in /hang never get an answer; everything else gets a JSON echo.
function startServer(): Promise<Server> {
  const httpServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url!, "http://test.local");
      received.push({
        method: req.method!,
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      if (url.pathname.endsWith("/hang")) return;
      res.writeHead(200, { "Content-Type": "application/json", "X-Reply": "from-test-server" });
      res.end(JSON.stringify({ path: url.pathname }));
    });
  });
  return new Promise((resolve) => httpServer.listen(0, "127.0.0.1", () => resolve(httpServer)));
}

/** A path no other test (or test file) uses. */
function uniquePath(name: string): string {
  return `/${name}-${randomUUID()}`;
}

function receivedAt(path: string): Received[] {
  return received.filter((r) => r.path === path);
}

async function responsesFor(ids: string[]): Promise<ResponseRow[]> {
  return waitFor(`responses to requests ${ids.join(", ")}`, async () => {
    const rows = await sql<ResponseRow[]>`
      select id, status_code, content_type, headers, content, timed_out, error_msg
      from net._http_response where id = any(${ids}::bigint[]) order by id`;
    return rows.length === ids.length ? [...rows] : undefined;
  });
}

async function responseFor(id: string): Promise<ResponseRow> {
  return (await responsesFor([id]))[0];
}

beforeAll(async () => {
  server = await startServer();
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  worker = await startWorker({ ttl: "3 hours" });
});

afterAll(async () => {
  await worker?.stop();
  await sql.end();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

describe("transactions", () => {
  test("a request leaves only when its transaction commits", async () => {
    const path = uniquePath("commit");
    const connection = await sql.reserve();
    try {
      await connection`begin`;
      const [{ id }] = await connection<{ id: string }[]>`select net.http_get(${baseUrl + path}) as id`;
      // Another committed request wakes the workers while this transaction is open: this one may not be sent.
      const [{ id: other }] = await sql<{ id: string }[]>`select net.http_get(${baseUrl + uniquePath("meanwhile")}) as id`;
      await responseFor(other);
      expect(receivedAt(path)).toHaveLength(0);
      await connection`commit`;

      const response = await responseFor(id);
      expect(response.status_code).toBe(200);
      expect(receivedAt(path)).toHaveLength(1);
    } finally {
      connection.release();
    }
  });

  test("a rolled-back request is never sent", async () => {
    const rolledBack = uniquePath("rollback");
    let rolledBackId = "";
    await expect(
      sql.begin(async (tx) => {
        [{ id: rolledBackId }] = await tx<{ id: string }[]>`select net.http_get(${baseUrl + rolledBack}) as id`;
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");

    // A request committed afterwards has been sent and answered, so the worker
    // has been through the queue since the rollback.
    const after = uniquePath("after-rollback");
    const [{ id }] = await sql<{ id: string }[]>`select net.http_get(${baseUrl + after}) as id`;
    await responseFor(id);

    expect(receivedAt(rolledBack)).toHaveLength(0);
    const leftovers = await sql`
      select 1 from net.http_request_queue where id = ${rolledBackId}
      union all select 1 from net._http_response where id = ${rolledBackId}`;
    expect(leftovers).toHaveLength(0);
  });

  test.each(["anon", "authenticated", "service_role"])("the %s role can queue requests", async (role) => {
    const path = uniquePath(`as-${role}`);
    const id = await sql.begin(async (tx) => {
      await tx`select set_config('role', ${role}, true)`;
      const [row] = await tx<{ id: string }[]>`
        select net.http_post(${baseUrl + path}, '{"from": "api role"}') as id`;
      return row.id;
    });
    expect((await responseFor(id)).status_code).toBe(200);
    expect(receivedAt(path)).toHaveLength(1);
  });

  test("50 requests queued in one transaction are each delivered exactly once", async () => {
    const path = uniquePath("batch");
    const rows = await sql<{ id: string }[]>`
      select net.http_post(${baseUrl + path}, jsonb_build_object('i', i)) as id
      from generate_series(1, 50) as i`;
    const responses = await responsesFor(rows.map((r) => r.id));

    expect(responses.every((r) => r.status_code === 200)).toBe(true);
    const delivered = receivedAt(path).map((r) => (JSON.parse(r.body) as { i: number }).i);
    expect(delivered.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, k) => k + 1));
  });
});

describe("net.http_post", () => {
  test("sends the body and headers as given, adds Content-Type and drops null headers", async () => {
    const path = uniquePath("post");
    const body = { text: "héllo ✓", items: [1, 2, { nested: null }], flag: true };
    const headers = { Authorization: "Bearer secret-token", "X-Custom": "custom value", "X-Dropped": null, "X-Number": 7 };
    const [{ id }] = await sql<{ id: string }[]>`
      select net.http_post(url => ${baseUrl + path}, body => ${sql.json(body)}, headers => ${sql.json(headers)}) as id`;

    const response = await responseFor(id);
    const [request] = receivedAt(path);
    expect(request.method).toBe("POST");
    expect(JSON.parse(request.body)).toEqual(body);
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers.authorization).toBe("Bearer secret-token");
    expect(request.headers["x-custom"]).toBe("custom value");
    expect(request.headers).not.toHaveProperty("x-dropped");
    expect(request.headers["x-number"]).toBe("7");
    expect(request.headers["user-agent"]).toMatch(/^pg_net\//);

    expect(response).toMatchObject({
      status_code: 200,
      content_type: "application/json",
      content: JSON.stringify({ path }),
      timed_out: false,
      error_msg: null,
    });
    // Header names as the server sent them, not lowercased.
    expect(response.headers).toMatchObject({ "X-Reply": "from-test-server", "Content-Type": "application/json" });
    expect(response.headers).not.toHaveProperty("x-reply");
  });

  test("sends the JSON text of the body, byte for byte as jsonb renders it", async () => {
    const path = uniquePath("post-text");
    const [{ id, text }] = await sql<{ id: string; text: string }[]>`
      select net.http_post(${baseUrl + path}, '{"b": "ü", "a": [1, 2.50]}'::jsonb) as id,
             '{"b": "ü", "a": [1, 2.50]}'::jsonb::text as text`;
    await responseFor(id);
    expect(receivedAt(path)[0].body).toBe(text);
  });

  test("accepts an explicit application/json Content-Type in any header spelling", async () => {
    const path = uniquePath("post-explicit");
    const [{ id }] = await sql<{ id: string }[]>`
      select net.http_post(${baseUrl + path}, headers => '{"content-type": "application/json"}') as id`;
    expect((await responseFor(id)).status_code).toBe(200);
    expect(receivedAt(path)[0].headers["content-type"]).toBe("application/json");
  });

  test.each([
    { headers: { "Content-Type": "text/plain" } },
    { headers: { "content-type": "application/x-www-form-urlencoded" } },
    { headers: { "Content-Type": "application/json; charset=utf-8" } },
  ])("rejects any other Content-Type: $headers", async ({ headers }) => {
    const path = uniquePath("post-rejected");
    await expect(
      sql`select net.http_post(${baseUrl + path}, headers => ${sql.json(headers)})`,
    ).rejects.toThrow('Content-Type header must be "application/json"');
  });

  test("a Content-Type whose value is null counts as absent: the JSON type is added", async () => {
    const path = uniquePath("post-null-content-type");
    const [{ id }] = await sql<{ id: string }[]>`
      select net.http_post(${baseUrl + path}, headers => '{"content-type": null, "X-Kept": "yes"}') as id`;
    expect((await responseFor(id)).status_code).toBe(200);
    const [request] = receivedAt(path);
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers["x-kept"]).toBe("yes");
  });

  test("queues a request for NULL arguments instead of skipping it (not STRICT), with libcurl's bare defaults", async () => {
    const path = uniquePath("post-null-body");
    const [{ id }] = await sql<{ id: string }[]>`select net.http_post(${baseUrl + path}, null, null, null) as id`;
    expect(id).not.toBeNull();
    expect((await responseFor(id)).status_code).toBe(200);
    const [request] = receivedAt(path);
    expect(request.body).toBe("");
    // NULL headers stay NULL: no Content-Type is added, so libcurl sends its
    // form default, and pg_net adds no User-Agent either.
    expect(request.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(request.headers).not.toHaveProperty("user-agent");
  });

  test("NULL headers with a body send libcurl's default form Content-Type", async () => {
    const path = uniquePath("post-null-headers");
    const [{ id }] = await sql<{ id: string }[]>`select net.http_post(${baseUrl + path}, '{"a": 1}', headers => null) as id`;
    expect((await responseFor(id)).status_code).toBe(200);
    const [request] = receivedAt(path);
    expect(JSON.parse(request.body)).toEqual({ a: 1 });
    expect(request.headers["content-type"]).toBe("application/x-www-form-urlencoded");
  });
});

describe("net.http_get", () => {
  test("appends params to the URL as an encoded query string", async () => {
    const path = uniquePath("get");
    const [{ id }] = await sql<{ id: string }[]>`
      select net.http_get(
        ${baseUrl + path + "?fixed=1"},
        params => '{"q": "a b&c=d/é", "n": 5, "skipped": null}',
        headers => '{"X-Api-Key": "k-123"}'
      ) as id`;

    expect((await responseFor(id)).status_code).toBe(200);
    const [request] = receivedAt(path);
    expect(request.method).toBe("GET");
    expect(request.body).toBe("");
    expect(request.headers["x-api-key"]).toBe("k-123");
    expect(Object.fromEntries(request.query)).toEqual({ fixed: "1", q: "a b&c=d/é", n: "5" });
  });

  test("queues requests with a 5000 ms timeout by default", async () => {
    await expect(
      sql.begin(async (tx) => {
        const url = baseUrl + uniquePath("default-timeout");
        const [ids] = await tx`
          select net.http_get(${url}) as get, net.http_post(${url}) as post, net.http_delete(${url}) as delete`;
        const timeouts = await tx`
          select timeout_milliseconds from net.http_request_queue
          where id in (${ids.get}, ${ids.post}, ${ids.delete})`;
        expect(timeouts.map((r) => r.timeout_milliseconds)).toEqual([5000, 5000, 5000]);
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
  });
});

describe("net.http_delete", () => {
  test("sends a DELETE without a body by default", async () => {
    const path = uniquePath("delete");
    const [{ id }] = await sql<{ id: string }[]>`select net.http_delete(${baseUrl + path}, '{"id": "7"}') as id`;
    expect((await responseFor(id)).status_code).toBe(200);
    const [request] = receivedAt(path);
    expect(request.method).toBe("DELETE");
    expect(request.query.get("id")).toBe("7");
    expect(request.body).toBe("");
  });

  test("sends a JSON body when one is given", async () => {
    const path = uniquePath("delete-body");
    const [{ id }] = await sql<{ id: string }[]>`
      select net.http_delete(${baseUrl + path}, body => '{"ids": [1, 2]}') as id`;
    expect((await responseFor(id)).status_code).toBe(200);
    const [request] = receivedAt(path);
    expect(request.method).toBe("DELETE");
    expect(JSON.parse(request.body)).toEqual({ ids: [1, 2] });
  });
});

describe("refused at call time, inside the caller's transaction", () => {
  // pg_net parses the URL with libcurl when the function is called and raises
  // libcurl's (mismatched) error text; nothing is queued and the transaction aborts.
  test.each([
    { url: "project-ref.supabase.co/functions/v1/pgpod-dispatch", error: "Out of memory" },
    { url: "/functions/v1/pgpod-dispatch", error: "Out of memory" },
    { url: "not a url", error: "URL using bad/illegal format or missing URL" },
    { url: "", error: "URL using bad/illegal format or missing URL" },
    { url: "localhost:8000/functions/v1/x", error: "Couldn't resolve proxy name" },
    { url: "http://127.0.0.1:99999/", error: "A requested feature, protocol or option was not found built-in" },
  ])("a malformed URL ($url) raises: $error", async ({ url, error }) => {
    for (const call of [
      sql`select net.http_get(${url})`,
      sql`select net.http_post(${url}, '{}')`,
      sql`select net.http_delete(${url})`,
    ]) {
      await expect(call).rejects.toMatchObject({ code: "XX000", message: expect.stringContaining(error) });
    }
  });

  test("the raise aborts the caller's transaction, so nothing it did is kept or sent", async () => {
    const path = uniquePath("before-bad-url");
    const [{ before }] = await sql<{ before: string }[]>`select coalesce(max(id), 0) as before from net.http_request_queue`;
    await expect(
      sql.begin(async (tx) => {
        await tx`select net.http_get(${baseUrl + path})`;
        await tx`select net.http_post('api.example.test/functions/v1/x')`;
      }),
    ).rejects.toThrow("Out of memory");
    // A later request is answered, so the workers have been through the queue since.
    await responseFor((await sql<{ id: string }[]>`select net.http_get(${baseUrl + uniquePath("after-bad-url")}) as id`)[0].id);
    expect(receivedAt(path)).toHaveLength(0);
    expect(await sql`select 1 from net.http_request_queue where id > ${before} and url like '%before-bad-url%'`).toHaveLength(0);
  });

  test.each([["[\"x\"]"], ["\"Bearer t\""], ["42"]])("headers that are not a JSON object (%s) are refused", async (headers) => {
    for (const call of [
      sql`select net.http_get(${baseUrl + "/h"}, headers => ${headers}::jsonb)`,
      sql`select net.http_post(${baseUrl + "/h"}, headers => ${headers}::jsonb)`,
      sql`select net.http_delete(${baseUrl + "/h"}, headers => ${headers}::jsonb)`,
    ]) {
      await expect(call).rejects.toThrow(/^headers must be a JSON object, not (array|string|number)$/);
    }
  });
});

describe("failures are recorded as responses", () => {
  test("a server that never answers times out after timeout_milliseconds", async () => {
    const path = uniquePath("slow") + "/hang";
    const [{ id }] = await sql<{ id: string }[]>`
      select net.http_get(${baseUrl + path}, timeout_milliseconds => 200) as id`;
    const response = await responseFor(id);
    expect(receivedAt(path)).toHaveLength(1);
    expect(response).toMatchObject({ status_code: null, timed_out: true, content: null });
    expect(response.error_msg).toMatch(/^Timeout of 200 ms reached\. Total time: [\d.]+ ms$/);
  });

  test("a refused connection sets error_msg and no status", async () => {
    const url = `http://127.0.0.1:${await freePort()}/refused`;
    const [{ id }] = await sql<{ id: string }[]>`select net.http_get(${url}) as id`;
    expect(await responseFor(id)).toMatchObject({
      status_code: null,
      timed_out: false,
      error_msg: "Couldn't connect to server",
    });
  });

  test("an unresolvable host sets error_msg", async () => {
    const [{ id }] = await sql<{ id: string }[]>`select net.http_get('http://pgpod-no-such-host.invalid/') as id`;
    expect(await responseFor(id)).toMatchObject({ status_code: null, error_msg: "Couldn't resolve host name" });
  });

  test("a URL libcurl parses but pg_net does not send (ftp) sets error_msg", async () => {
    const [{ id }] = await sql<{ id: string }[]>`select net.http_get('ftp://127.0.0.1/file') as id`;
    expect(await responseFor(id)).toMatchObject({ status_code: null, timed_out: false, error_msg: "Unsupported protocol" });
  });

  test("an invalid header name sets error_msg without sending", async () => {
    const path = uniquePath("bad-header");
    const [{ id }] = await sql<{ id: string }[]>`
      select net.http_get(${baseUrl + path}, headers => '{"bad header": "v"}') as id`;
    expect(await responseFor(id)).toMatchObject({ status_code: null, error_msg: 'Invalid request header "bad header"' });
    expect(receivedAt(path)).toHaveLength(0);
  });

  test("headers that are not a JSON object, inserted straight into the queue, set error_msg without sending", async () => {
    const path = uniquePath("array-headers");
    const [{ id }] = await sql<{ id: string }[]>`
      insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
      values ('GET', ${baseUrl + path}, '["x"]', 1000) returning id`;
    await sql`select net.wake()`;
    expect(await responseFor(id)).toMatchObject({ status_code: null, error_msg: "Request headers must be a JSON object" });
    expect(receivedAt(path)).toHaveLength(0);
  });

  test("a request aborted because the worker stops is recorded as failed", async () => {
    const path = uniquePath("aborted") + "/hang";
    const stop = new AbortController();
    const sending = sendRequest(
      { id: "1", method: "GET", url: baseUrl + path, headers: {}, body: null, timeout_milliseconds: 10_000 },
      stop.signal,
    );
    await waitFor("the request to arrive", async () => (receivedAt(path).length > 0 ? true : undefined));
    stop.abort();
    expect(await sending).toMatchObject({
      status_code: null,
      timed_out: false,
      error_msg: "Request aborted: the pg_net worker stopped before the response arrived",
    });
  });
});

describe("worker", () => {
  test("sends a request committed while it was stopped once it starts again", async () => {
    await worker.stop();
    const path = uniquePath("while-stopped");
    const [{ id }] = await sql<{ id: string }[]>`select net.http_get(${baseUrl + path}) as id`;
    worker = await startWorker({ ttl: "3 hours" });
    expect((await responseFor(id)).status_code).toBe(200);
    expect(receivedAt(path)).toHaveLength(1);
  });

  test("sends a request inserted straight into the queue when net.wake() commits", async () => {
    const path = uniquePath("woken");
    const id = await sql.begin(async (tx) => {
      const [row] = await tx<{ id: string }[]>`
        insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
        values ('GET', ${baseUrl + path}, '{}', 1000) returning id`;
      await tx`select net.wake()`;
      return row.id;
    });
    expect((await responseFor(id)).status_code).toBe(200);
    expect(receivedAt(path)).toHaveLength(1);
  });

  test("prunes responses older than its ttl", async () => {
    const [{ expired, kept }] = await sql<{ expired: string; kept: string }[]>`
      select nextval('net.http_request_queue_id_seq') as expired, nextval('net.http_request_queue_id_seq') as kept`;
    // 4 hours is past this file's worker ttl (3 hours) but within the default 6 hours.
    await sql`
      insert into net._http_response (id, status_code, created)
      values (${expired}, 200, now() - interval '4 hours'), (${kept}, 200, now() - interval '2 hours')`;
    // Like pg_net, the worker prunes when it is woken.
    await sql`select net.wake()`;
    try {
      await waitFor("the expired response to be pruned", async () => {
        const rows = await sql`select 1 from net._http_response where id = ${expired}`;
        return rows.length === 0 ? true : undefined;
      });
      expect(await sql`select 1 from net._http_response where id = ${kept}`).toHaveLength(1);
    } finally {
      await sql`delete from net._http_response where id in (${expired}, ${kept})`;
    }
  });

  test("fails to start when the database is unreachable", async () => {
    const unreachable = `postgresql://postgres:postgres@127.0.0.1:${await freePort()}/postgres`;
    await expect(startNetWorker({ dbUrl: unreachable })).rejects.toThrow(/ECONNREFUSED/);
  });

  test("logs one line per request without header values or query strings", async () => {
    const path = uniquePath("logged");
    const [{ id }] = await sql<{ id: string }[]>`
      select net.http_get(${baseUrl + path}, '{"api_key": "query-secret"}', '{"Authorization": "Bearer log-secret"}') as id`;
    await responseFor(id);
    for (const line of logLines) expect(line).not.toMatch(/secret-token|log-secret|query-secret/);
    for (const line of logLines.filter((l) => l.startsWith("net: #"))) {
      expect(line).toMatch(/^net: #\d+ (GET|POST|DELETE) .+ -> .+ \(\d+ ms\)$/);
    }
    const mine = logLines.filter((line) => line.startsWith(`net: #${id} `));
    // The stack's own worker may have sent it instead; if this one did, the line is exact.
    for (const line of mine) expect(line.startsWith(`net: #${id} GET ${baseUrl}${path}?… -> 200 (`)).toBe(true);
  });
});
