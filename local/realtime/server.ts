// The local Realtime server: Phoenix channels at /realtime/v1/websocket as
// supabase-js expects them, Broadcast (from clients, from the database via
// realtime.send, and the REST broadcast API), Presence, and Postgres Changes,
// with the database read through logical replication. Mount it on an HTTP
// server's 'upgrade' event and its requests under /realtime/v1.
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { recoveringSql } from "../stack/db-client.ts";
import { WebSocketServer } from "ws";
import { createBroadcastApi } from "./broadcast-api.ts";
import { createChangeDispatcher } from "./postgres-changes.ts";
import { PresenceTopic, type PresenceDiff } from "./presence.ts";
import type { UserBroadcast, Vsn } from "./protocol.ts";
import { startReplication, type Change, type Transaction } from "./replication.ts";
import { Session, type Channel, type Hub } from "./session.ts";
import { tokenChecker } from "./tokens.ts";

export interface RealtimeOptions {
  dbUrl: string;
  jwtSecret: string;
  log: (line: string) => void;
  /** How long a refused join waits before its error reply (Realtime: 5 s). */
  joinErrorDelayMs?: number;
}

export const websocketPath = "/realtime/v1/websocket";
/** Postgres Changes read this publication; the project adds its tables to it. */
const changesPublication = "supabase_realtime";
/** Broadcast from the database: realtime.messages, created by the server as Realtime does. */
const messagesPublication = "supabase_realtime_messages_publication";
/** Realtime's WebSocket frame limit. */
const MAX_FRAME_BYTES = 5_000_000;

const isMessagesTable = (change: Change) =>
  change.relation.schema === "realtime" && (change.relation.table === "messages" || change.relation.table.startsWith("messages_"));

export async function createRealtimeServer(options: RealtimeOptions) {
  const sql = recoveringSql(options.dbUrl, { max: 4, onnotice: () => {}, connection: { application_name: "pgpod local realtime" } });
  const sessions = new Set<Session>();
  /** Channels by sub-topic; private and public channels of one name are separate, as in Realtime. */
  const topics = new Map<string, Set<Channel>>();
  const presences = new Map<string, PresenceTopic<Channel>>();
  const topicKey = (channel: Channel) => `${channel.isPrivate ? "private" : "public"}:${channel.subTopic}`;
  const changes = createChangeDispatcher(sql, options.log);

  const fanOut = (key: string, send: (channel: Channel) => void) => {
    for (const channel of topics.get(key) ?? []) send(channel);
  };
  const presenceDiff = (channel: Channel, diff: PresenceDiff | undefined) => {
    if (diff) fanOut(topicKey(channel), (c) => c.receivesPresence && c.deliverPresenceDiff(diff));
  };

  const hub: Hub = {
    sql,
    checkToken: tokenChecker(options.jwtSecret),
    log: options.log,
    joinErrorDelayMs: options.joinErrorDelayMs ?? 5000,
    register(channel) {
      const key = topicKey(channel);
      if (!topics.has(key)) topics.set(key, new Set());
      topics.get(key)!.add(channel);
    },
    unregister(channel) {
      const key = topicKey(channel);
      topics.get(key)?.delete(channel);
      if (topics.get(key)?.size === 0) topics.delete(key);
    },
    broadcast(from, message) {
      fanOut(topicKey(from), (c) => (c !== from || c.self) && c.receivesBroadcast && c.deliverBroadcast(message));
    },
    presenceState(channel) {
      return presences.get(topicKey(channel))?.state() ?? {};
    },
    track(channel, payload) {
      const key = topicKey(channel);
      if (!presences.has(key)) presences.set(key, new PresenceTopic());
      presenceDiff(channel, presences.get(key)!.track(channel, channel.presenceKey, payload));
    },
    untrack(channel) {
      const key = topicKey(channel);
      const topic = presences.get(key);
      if (!topic) return;
      presenceDiff(channel, topic.untrack(channel));
      if (topic.empty) presences.delete(key);
    },
  };

  /** A row of realtime.messages, sent to the channels of its topic that may read it. */
  function deliverMessage(change: Change) {
    if (change.kind !== "INSERT" || !change.row) return;
    const value = (name: string) => change.row![change.relation.columns.findIndex((c) => c.name === name)];
    if (value("extension") !== "broadcast") return;
    const topic = value("topic");
    const event = value("event");
    if (!topic || !event) return;
    const isPrivate = value("private") === "t";
    const json = value("payload");
    const bytes = value("binary_payload");
    let message: UserBroadcast;
    if (json) message = { event, payload: JSON.parse(json), binary: false, meta: { id: value("id") } };
    else if (bytes) message = { event, payload: Buffer.from(bytes.slice(2), "hex"), binary: true, meta: { id: value("id") } };
    else return;
    deliverToTopic(topic, isPrivate, message);
  }

  /** A broadcast from the database or the REST API, to the channels of its topic that may read it. */
  function deliverToTopic(topic: string, isPrivate: boolean, message: UserBroadcast) {
    fanOut(`${isPrivate ? "private" : "public"}:${topic}`, (c) => c.receivesBroadcast && c.deliverBroadcast(message));
  }

  function subscribers(): Channel[] {
    return [...sessions].flatMap((s) => s.channelList).filter((c) => c.bindings.length > 0);
  }

  async function onTransaction(tx: Transaction) {
    for (const change of tx.changes) {
      if (isMessagesTable(change)) deliverMessage(change);
      else await changes.dispatch(change, tx.commitTime, subscribers());
    }
  }

  await sql.unsafe(`
    do $$
    begin
      if not exists (select 1 from pg_catalog.pg_publication where pubname = '${changesPublication}') then
        create publication ${changesPublication};
      end if;
      if not exists (select 1 from pg_catalog.pg_publication where pubname = '${messagesPublication}') then
        create publication ${messagesPublication} for table realtime.messages with (publish_via_partition_root = true);
      end if;
    end $$`);
  let slot = "";
  const replication = startReplication({
    dbUrl: options.dbUrl,
    publications: [changesPublication, messagesPublication],
    onTransaction,
    log: (line) => options.log(line),
    onStreaming: (name) => (slot = name),
  });
  await replication.started;

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const broadcastApi = createBroadcastApi({ sql, checkToken: hub.checkToken, deliver: deliverToTopic, log: options.log });

  function refuse(socket: Duplex, status: number, error: string) {
    const body = JSON.stringify({ error });
    socket.end(
      `HTTP/1.1 ${status} ${status === 401 ? "Unauthorized" : "Bad Request"}\r\n` +
        `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== websocketPath) return refuse(socket, 400, `no websocket at ${url.pathname}`);
    const vsn = (url.searchParams.get("vsn") ?? "1.0.0") as Vsn;
    if (vsn !== "1.0.0" && vsn !== "2.0.0") return refuse(socket, 400, `unsupported vsn ${vsn}`);
    const apikey = url.searchParams.get("apikey") ?? (req.headers["x-api-key"] as string | undefined);
    const check = await hub.checkToken(apikey);
    if (!check.ok) return refuse(socket, 401, check.reason);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const { authorization: _a, cookie: _c, ...headers } = req.headers;
      const session = new Session(hub, ws, vsn, apikey!, headers);
      sessions.add(session);
      ws.once("close", () => sessions.delete(session));
    });
  }

  return {
    /** The replication slot in use (temporary: Postgres drops it when the server stops). */
    get slot() {
      return slot;
    },
    get sessions(): number {
      return sessions.size;
    },
    /** The REST broadcast API, for requests under /realtime/v1 (`path` is what follows it). */
    handleHttp: broadcastApi,
    /** For an HTTP server's 'upgrade' event; answers only /realtime/v1/websocket. */
    async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
      try {
        await upgrade(req, socket, head);
      } catch (error) {
        options.log(`websocket upgrade failed: ${(error as Error).message}`);
        socket.destroy();
      }
    },
    /** Closes every socket (clients see 1001 and reconnect later) and ends replication. */
    async close(): Promise<void> {
      for (const session of sessions) session.close();
      sessions.clear();
      wss.close();
      await replication.stop();
      await sql.end({ timeout: 2 });
    },
  };
}

export type RealtimeServer = Awaited<ReturnType<typeof createRealtimeServer>>;
