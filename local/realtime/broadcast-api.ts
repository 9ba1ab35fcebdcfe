// Realtime's REST broadcast, what supabase-js uses for `send()` on a channel
// that is not joined (POST /api/broadcast with a list of messages) and for
// `httpSend()` (POST /api/broadcast/<topic>/events/<event>). Messages to
// private topics need the caller's INSERT policy on realtime.messages, as on
// the socket; those it denies are dropped. Accepted requests answer 202.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Sql } from "postgres";
import { canWrite } from "./authorization.ts";
import type { UserBroadcast } from "./protocol.ts";
import type { TokenChecker } from "./tokens.ts";

export interface BroadcastApiOptions {
  sql: Sql;
  checkToken: TokenChecker;
  /** Sends a message to the channels of a topic (public or private) that may receive it. */
  deliver(topic: string, isPrivate: boolean, message: UserBroadcast): void;
  log: (line: string) => void;
}

interface Message {
  topic: string;
  event: string;
  payload: unknown;
  binary: boolean;
  private: boolean;
}

/** Realtime's payload limit (max_payload_size_in_kb 3000) plus its allowance for the envelope. */
const MAX_BODY_BYTES = 3000 * 1000 + 500;

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(JSON.stringify(body));
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, { error: "Payload too large" });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new ApiError(400, { error: "The request body is not valid JSON" });
  }
}

function listedMessages(body: unknown): Message[] {
  const list = (body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(list) || list.length === 0) throw new ApiError(422, { errors: { messages: ["can't be blank"] } });
  return list.map((m, i) => {
    const { topic, event, payload, private: isPrivate } = (m ?? {}) as Record<string, unknown>;
    if (typeof topic !== "string" || !topic || typeof event !== "string" || !event) {
      throw new ApiError(422, { errors: { messages: [`message ${i} needs a topic and an event`] } });
    }
    return { topic, event, payload: payload ?? {}, binary: false, private: isPrivate === true };
  });
}

export function createBroadcastApi(options: BroadcastApiOptions) {
  async function messagesOf(req: IncomingMessage, path: string, query: URLSearchParams): Promise<Message[]> {
    const body = await readBody(req);
    if (path === "/api/broadcast") return listedMessages(parseJson(body));
    const single = /^\/api\/broadcast\/([^/]+)\/events\/([^/]+)$/.exec(path);
    if (!single) throw new ApiError(404, { error: `no Realtime endpoint at ${path}` });
    const binary = (req.headers["content-type"] ?? "").startsWith("application/octet-stream");
    return [{
      topic: decodeURIComponent(single[1]),
      event: decodeURIComponent(single[2]),
      payload: binary ? body : parseJson(body),
      binary,
      private: query.get("private") === "true",
    }];
  }

  return async function handle(req: IncomingMessage, res: ServerResponse, pathAndQuery: string): Promise<void> {
    const url = new URL(pathAndQuery, "http://localhost");
    try {
      if (req.method !== "POST") throw new ApiError(405, { error: "use POST" });
      const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
      const apikey = req.headers.apikey as string | undefined;
      const check = await options.checkToken(bearer && !bearer.startsWith("sb_") ? bearer : apikey);
      if (!check.ok) throw new ApiError(401, { error: check.reason });
      const caller = { claims: check.claims, headers: req.headers as Record<string, unknown> };
      const allowed = new Map<string, Promise<boolean>>();
      for (const message of await messagesOf(req, url.pathname, url.searchParams)) {
        if (message.private) {
          if (!allowed.has(message.topic)) allowed.set(message.topic, canWrite(options.sql, caller, message.topic, "broadcast"));
          if (!(await allowed.get(message.topic))) continue;
        }
        options.deliver(message.topic, message.private, { event: message.event, payload: message.payload, binary: message.binary });
      }
      res.writeHead(202).end();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      res.writeHead(error.status, { "content-type": "application/json" }).end(JSON.stringify(error.body));
    }
  };
}
