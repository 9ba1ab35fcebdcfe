// The background worker of the local pg_net stand-in (local/sql/pg_net.sql):
// sends queued requests and records their responses in net._http_response.
// Like pg_net's worker it is woken by net.wake(), which the request functions
// call and which takes effect at commit; it also drains the queue whenever it
// (re)connects, catching up on anything committed while it was not listening.
// A row inserted straight into the queue waits for the next wake-up, as with
// pg_net. Several workers may share a database: rows are claimed with SKIP
// LOCKED, so each request is sent by exactly one of them.
import postgres from "postgres";
import { recoveringSql } from "../stack/db-client.ts";
import { sendRequest, type HttpResponseRow, type QueuedRequest } from "./send.ts";

/** Must match the channel net.wake() notifies in local/sql/pg_net.sql. */
const wakeChannel = "pg_net_wake";

export interface NetWorkerOptions {
  dbUrl: string;
  log?: (line: string) => void;
  /** How long responses are kept (an interval, pg_net.ttl). */
  ttl?: string;
  /** Most requests claimed and sent at once (pg_net.batch_size). */
  batchSize?: number;
}

export interface NetWorker {
  /**
   * Stops claiming requests, aborts the ones in flight (recording them as
   * failed responses, so none is sent twice) and closes the connections.
   */
  stop(): Promise<void>;
}

export async function startNetWorker(opts: NetWorkerOptions): Promise<NetWorker> {
  const log = opts.log ?? (() => {});
  const ttl = opts.ttl ?? "6 hours";
  const batchSize = opts.batchSize ?? 200;
  // Rounds run one at a time, so one pooled connection is enough. LISTEN has a
  // client of its own, which a renewal of the round's client leaves listening.
  const sql = recoveringSql(opts.dbUrl, { max: 1, onnotice: () => {} });
  const listening = postgres(opts.dbUrl, { max: 1, onnotice: () => {} });
  const stopping = new AbortController();
  let round: Promise<void> | null = null;
  let wokenDuringRound = false;

  // A wake-up during a round runs one more round afterwards, so a request
  // committed while a batch was in flight is not left behind.
  function wake(): void {
    if (stopping.signal.aborted) return;
    if (round) {
      wokenDuringRound = true;
      return;
    }
    round = drainQueue().finally(() => {
      round = null;
      if (wokenDuringRound) {
        wokenDuringRound = false;
        wake();
      }
    });
  }

  async function drainQueue(): Promise<void> {
    try {
      await sql`delete from net._http_response where created < now() - ${ttl}::interval`;
      let sent: number;
      do {
        sent = await sendBatch();
      } while (sent === batchSize && !stopping.signal.aborted);
    } catch (error) {
      // The next wake-up retries; a rolled-back batch stays queued.
      log(`net: worker round failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  // Claims, sends and records a batch in one transaction: if recording fails
  // the requests go back to the queue instead of being lost.
  async function sendBatch(): Promise<number> {
    return sql.begin(async (tx) => {
      const claimed = await tx<QueuedRequest[]>`
        with next as (
          select id from net.http_request_queue order by id limit ${batchSize} for update skip locked
        )
        delete from net.http_request_queue q using next where q.id = next.id
        returning q.id, q.method, q.url, q.headers, q.body, q.timeout_milliseconds`;
      if (claimed.length === 0) return 0;
      const rows = await Promise.all(claimed.map(sendAndLog));
      await tx`
        insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg)
        select * from jsonb_to_recordset(${tx.json(rows as unknown as postgres.JSONValue)}) as r(
          id bigint, status_code integer, content_type text, headers jsonb, content text, timed_out bool, error_msg text)`;
      return claimed.length;
    });
  }

  async function sendAndLog(request: QueuedRequest): Promise<HttpResponseRow> {
    const started = performance.now();
    const row = await sendRequest(request, stopping.signal);
    const ms = Math.round(performance.now() - started);
    log(`net: #${request.id} ${request.method.toUpperCase()} ${loggableUrl(request.url)} -> ${outcome(row)} (${ms} ms)`);
    return row;
  }

  let listener: { unlisten(): Promise<void> };
  try {
    // The second callback runs on every (re)connect, catching up on anything
    // committed while the listening connection was down.
    listener = await listening.listen(wakeChannel, wake, wake);
  } catch (error) {
    await Promise.all([sql.end({ timeout: 5 }), listening.end({ timeout: 5 })]);
    throw error;
  }

  let stopped: Promise<void> | null = null;
  return {
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        await listener.unlisten();
        await round;
        await Promise.all([sql.end({ timeout: 5 }), listening.end({ timeout: 5 })]);
      })();
      return stopped;
    },
  };
}

function outcome(row: HttpResponseRow): string {
  if (row.status_code !== null) return String(row.status_code);
  return `${row.timed_out ? "timed out" : "failed"}: ${row.error_msg}`;
}

// Query strings and userinfo often carry keys, so only origin and path are logged.
function loggableUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}${parsed.search ? "?…" : ""}`;
  } catch {
    return "(invalid URL)";
  }
}
