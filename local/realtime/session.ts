// One client socket and the channels it joined: heartbeats, phx_join with its
// config, access_token refreshes, client broadcast and presence, leave. Each
// channel handles its messages in order; channels and sockets never wait for
// one another.
import { randomUUID } from "node:crypto";
import type { Sql } from "postgres";
import type { WebSocket } from "ws";
import { canWrite, readableExtensions, type Caller, type Extension } from "./authorization.ts";
import { BindingError, parseBinding, validateBinding, type Binding, type Subscriber } from "./postgres-changes.ts";
import type { PresenceDiff, PresenceMap } from "./presence.ts";
import { decodeFrame, encodeFrame, encodeUserBroadcast, ProtocolError, type Frame, type UserBroadcast, type Vsn } from "./protocol.ts";
import type { Claims, TokenChecker } from "./tokens.ts";

/** What sessions share: the database, token checks and the fan-out between channels. */
export interface Hub {
  sql: Sql;
  checkToken: TokenChecker;
  log: (line: string) => void;
  joinErrorDelayMs: number;
  register(channel: Channel): void;
  unregister(channel: Channel): void;
  /** Sends a client broadcast to the topic's channels (the sender only with `self`). */
  broadcast(from: Channel, message: UserBroadcast): void;
  presenceState(channel: Channel): PresenceMap;
  track(channel: Channel, payload: Record<string, unknown>): void;
  untrack(channel: Channel): void;
}

/** A socket whose client stopped reading is dropped before its backlog can grow past this. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** Phoenix closes a socket it heard nothing from (not even a heartbeat) for this long. */
const IDLE_TIMEOUT_MS = 60_000;
/** Realtime re-validates a channel's token at least this often. */
const TOKEN_RECHECK_MS = 5 * 60_000;
const MAX_BINDING_ID = 2 ** 31 - 1;

export class Channel implements Subscriber {
  readonly subTopic: string;
  bindings: Binding[] = [];
  readable = new Set<Extension>();
  private writable = new Map<Extension, Promise<boolean>>();
  private expiry: NodeJS.Timeout | undefined;
  presenceEnabled: boolean;
  closed = false;

  constructor(
    readonly session: Session,
    readonly topic: string,
    readonly joinRef: string,
    readonly isPrivate: boolean,
    readonly self: boolean,
    readonly ack: boolean,
    readonly presenceKey: string,
    presenceEnabled: boolean,
    public claims: Claims,
    public token: string,
  ) {
    this.subTopic = topic.slice("realtime:".length);
    this.presenceEnabled = presenceEnabled;
  }

  get caller(): Caller {
    return { claims: this.claims, headers: this.session.headers };
  }

  /** Whether this channel may receive broadcasts (private ones need the read policy). */
  get receivesBroadcast(): boolean {
    return !this.isPrivate || this.readable.has("broadcast");
  }

  get receivesPresence(): boolean {
    return this.presenceEnabled && (!this.isPrivate || this.readable.has("presence"));
  }

  mayWrite(extension: Extension): Promise<boolean> {
    if (!this.isPrivate) return Promise.resolve(true);
    let answer = this.writable.get(extension);
    if (!answer) {
      answer = canWrite(this.session.hub.sql, this.caller, this.subTopic, extension).catch((error) => {
        this.session.hub.log(`write check on ${this.subTopic} failed: ${(error as Error).message}`);
        return false;
      });
      this.writable.set(extension, answer);
    }
    return answer;
  }

  /** A new token: the cached write answers no longer hold. */
  useToken(token: string, claims: Claims): void {
    this.token = token;
    this.claims = claims;
    this.writable.clear();
    this.watchExpiry();
  }

  watchExpiry(): void {
    clearTimeout(this.expiry);
    const left = this.claims.exp * 1000 - Date.now();
    this.expiry = setTimeout(() => void this.recheckToken(), Math.max(0, Math.min(left, TOKEN_RECHECK_MS)));
    this.expiry.unref();
  }

  private async recheckToken(): Promise<void> {
    if (this.closed) return;
    const check = await this.session.hub.checkToken(this.token);
    if (check.ok) this.watchExpiry();
    else this.shutdown(check.reason.replace(/^[A-Za-z]+: /, ""));
  }

  push(event: string, payload: unknown, ref: string | null = null): void {
    this.session.send({ join_ref: this.joinRef, ref, topic: this.topic, event, payload });
  }

  system(extension: "system" | "postgres_changes", status: "ok" | "error", message: string): void {
    this.push("system", { extension, status, message, channel: this.subTopic });
  }

  /** The server ends the channel: a system error, then phx_close (the client does not rejoin). */
  shutdown(message: string): void {
    if (this.closed) return;
    this.system("system", "error", message);
    this.session.send({ join_ref: this.joinRef, ref: this.joinRef, topic: this.topic, event: "phx_close", payload: {} });
    this.session.removeChannel(this);
  }

  deliver(payload: { ids: number[]; data: Record<string, unknown> }): void {
    if (!this.closed) this.session.send({ join_ref: null, ref: null, topic: this.topic, event: "postgres_changes", payload });
  }

  deliverBroadcast(message: UserBroadcast): void {
    if (!this.closed) this.session.sendUserBroadcast(this.topic, message);
  }

  deliverPresenceDiff(diff: PresenceDiff): void {
    if (!this.closed) this.push("presence_diff", diff);
  }

  dispose(): void {
    this.closed = true;
    clearTimeout(this.expiry);
  }
}

/** The stable id Realtime gives a postgres_changes entry: a hash of its params. */
function bindingId(params: Record<string, unknown>): number {
  const text = JSON.stringify(params, Object.keys(params).sort());
  let hash = 7;
  for (let i = 0; i < text.length; i++) hash = (hash * 31 + text.charCodeAt(i)) % MAX_BINDING_ID;
  return hash || 1;
}

export class Session {
  private channels = new Map<string, Channel>();
  /** Each topic's messages are handled in order, one at a time. */
  private queues = new Map<string, Promise<void>>();
  private idle: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly hub: Hub,
    private readonly ws: WebSocket,
    readonly vsn: Vsn,
    /** The key the socket connected with (`apikey`), used when a join carries no access_token. */
    private readonly connectToken: string,
    readonly headers: Record<string, unknown>,
  ) {
    ws.on("message", (data: Buffer, isBinary: boolean) => this.receive(data, isBinary));
    ws.on("close", () => this.dispose());
    ws.on("error", () => this.dispose());
    this.touch();
  }

  get channelList(): Channel[] {
    return [...this.channels.values()];
  }

  private touch(): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.ws.terminate(), IDLE_TIMEOUT_MS);
    this.idle.unref();
  }

  send(frame: Frame): void {
    this.write(encodeFrame(this.vsn, frame));
  }

  sendUserBroadcast(topic: string, message: UserBroadcast): void {
    const encoded = encodeUserBroadcast(this.vsn, topic, message);
    if (encoded !== undefined) this.write(encoded);
  }

  private write(data: string | Buffer): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.hub.log("dropping a socket whose client stopped reading");
      this.ws.terminate();
      this.dispose();
      return;
    }
    this.ws.send(data);
  }

  private reply(frame: Frame, status: "ok" | "error", response: unknown): void {
    this.send({ join_ref: frame.join_ref, ref: frame.ref, topic: frame.topic, event: "phx_reply", payload: { status, response } });
  }

  private receive(data: Buffer, isBinary: boolean): void {
    this.touch();
    let frame: Frame;
    try {
      frame = decodeFrame(this.vsn, data, isBinary);
    } catch (error) {
      // Whatever a client sends, the server carries on.
      this.hub.log(`ignored a malformed frame: ${error instanceof ProtocolError ? error.message : String(error)}`);
      return;
    }
    if (frame.topic === "phoenix" && frame.event === "heartbeat") {
      this.reply(frame, "ok", {});
      return;
    }
    const previous = this.queues.get(frame.topic) ?? Promise.resolve();
    const next = previous
      .then(() => this.handle(frame))
      .catch((error) => {
        this.hub.log(`failed to handle ${frame.event} on ${frame.topic}: ${(error as Error).stack ?? error}`);
        this.crashed(frame);
      });
    this.queues.set(frame.topic, next);
    void next.then(() => {
      if (this.queues.get(frame.topic) === next) this.queues.delete(frame.topic);
    });
  }

  /**
   * What Phoenix does when a channel process crashes: phx_error to the channel
   * (the client rejoins with backoff), or an error reply to a join that failed.
   */
  private crashed(frame: Frame): void {
    const channel = this.channels.get(frame.topic);
    if (channel) {
      this.send({ join_ref: channel.joinRef, ref: channel.joinRef, topic: channel.topic, event: "phx_error", payload: {} });
      this.removeChannel(channel);
    } else if (frame.event === "phx_join") {
      this.reply(frame, "error", { reason: "UnknownErrorOnChannel: the channel failed to start" });
    }
  }

  private async handle(frame: Frame): Promise<void> {
    if (this.closed) return;
    if (frame.event === "phx_join") return this.join(frame);
    const channel = this.channels.get(frame.topic);
    if (!channel || channel.joinRef !== frame.join_ref) {
      this.reply(frame, "error", { reason: "unmatched topic" });
      return;
    }
    const payload = (frame.payload ?? {}) as Record<string, unknown>;
    switch (frame.event) {
      case "phx_leave":
        this.reply(frame, "ok", {});
        this.removeChannel(channel);
        return;
      case "access_token":
        return this.refreshToken(channel, payload.access_token);
      case "broadcast":
        return this.clientBroadcast(channel, frame, payload);
      case "presence":
        return this.presence(channel, frame, payload);
      default:
        this.hub.log(`ignored unknown event ${frame.event} on ${frame.topic}`);
    }
  }

  /** Realtime replies to a failed join only after a pause, so clients cannot hammer it. */
  private refuseJoin(frame: Frame, reason: string): void {
    setTimeout(() => this.reply(frame, "error", { reason }), this.hub.joinErrorDelayMs).unref();
  }

  private tokenFrom(value: unknown): string {
    // Publishable/secret keys (sb_...) are not JWTs: the socket's key stands in.
    return typeof value === "string" && value && !value.startsWith("sb_") ? value : this.connectToken;
  }

  private async join(frame: Frame): Promise<void> {
    const payload = (frame.payload ?? {}) as Record<string, unknown>;
    const config = (payload.config ?? {}) as Record<string, unknown>;
    const broadcast = (config.broadcast ?? {}) as Record<string, unknown>;
    const presence = (config.presence ?? {}) as Record<string, unknown>;
    const isPrivate = config.private === true;
    const existing = this.channels.get(frame.topic);
    // A rejoin replaces the channel the client gave up on.
    if (existing) this.removeChannel(existing);

    if (!frame.topic.startsWith("realtime:") || frame.topic === "realtime:") {
      return this.refuseJoin(frame, "TopicNameRequired: You must provide a topic name");
    }
    if (!frame.ref) return this.refuseJoin(frame, "MalformedMessage: phx_join needs a ref");
    const token = this.tokenFrom(payload.access_token);
    const check = await this.hub.checkToken(token);
    if (!check.ok) return this.refuseJoin(frame, check.reason);

    const bindings: Binding[] = [];
    const bindingErrors: string[] = [];
    for (const params of Array.isArray(config.postgres_changes) ? config.postgres_changes : []) {
      try {
        const parsed = parseBinding(params);
        bindings.push({ ...parsed, id: bindingId(parsed.params) });
      } catch (error) {
        if (!(error instanceof BindingError)) throw error;
        return this.refuseJoin(frame, `InvalidPostgresChanges: ${error.message}`);
      }
    }

    const channel = new Channel(
      this,
      frame.topic,
      frame.join_ref ?? frame.ref,
      isPrivate,
      broadcast.self === true,
      broadcast.ack === true,
      typeof presence.key === "string" && presence.key ? presence.key : randomUUID(),
      presence.enabled === true,
      check.claims,
      token,
    );
    if (isPrivate) {
      const wanted: Extension[] = channel.presenceEnabled ? ["broadcast", "presence"] : ["broadcast"];
      try {
        channel.readable = await readableExtensions(this.hub.sql, channel.caller, channel.subTopic, wanted);
      } catch (error) {
        this.hub.log(`read check on ${channel.subTopic} failed: ${(error as Error).message}`);
      }
      if (channel.readable.size === 0) {
        return this.refuseJoin(frame, `Unauthorized: You do not have permissions to read from this Channel topic: ${channel.subTopic}`);
      }
    }
    if (this.closed) return;

    for (const binding of bindings) {
      try {
        await validateBinding(this.hub.sql, binding, channel.claims.role);
      } catch (error) {
        bindingErrors.push((error as Error).message);
      }
    }
    // Only bindings Realtime could store receive changes; the reply still lists them all.
    channel.bindings = bindingErrors.length === 0 ? bindings : [];
    this.channels.set(frame.topic, channel);
    this.hub.register(channel);
    channel.watchExpiry();
    this.reply(frame, "ok", { postgres_changes: bindings.map((b) => ({ ...b.params, id: b.id })) });
    if (channel.receivesPresence) channel.push("presence_state", this.hub.presenceState(channel));
    if (bindings.length > 0) {
      if (bindingErrors.length === 0) channel.system("postgres_changes", "ok", "Subscribed to PostgreSQL");
      else channel.system("postgres_changes", "error", `Unable to subscribe to changes with given parameters: ${bindingErrors.join("; ")}`);
    }
  }

  private async refreshToken(channel: Channel, value: unknown): Promise<void> {
    const token = this.tokenFrom(value);
    if (token === channel.token) return;
    const check = await this.hub.checkToken(token);
    if (!check.ok) return channel.shutdown(check.reason.replace(/^[A-Za-z]+: /, ""));
    channel.useToken(token, check.claims);
    if (!channel.isPrivate) return;
    const wanted = [...channel.readable];
    let readable = new Set<Extension>();
    try {
      readable = await readableExtensions(this.hub.sql, channel.caller, channel.subTopic, wanted);
    } catch (error) {
      this.hub.log(`read check on ${channel.subTopic} failed: ${(error as Error).message}`);
    }
    if (readable.size === 0) {
      return channel.shutdown(`You no longer have permission to read from this Channel topic: ${channel.subTopic}`);
    }
    channel.readable = readable;
  }

  private async clientBroadcast(channel: Channel, frame: Frame, payload: Record<string, unknown>): Promise<void> {
    if (typeof payload.event !== "string") {
      if (channel.ack) this.reply(frame, "error", { reason: "broadcast needs an event" });
      return;
    }
    // A broadcast the INSERT policy denies is dropped without a reply, as in Realtime.
    if (!(await channel.mayWrite("broadcast"))) return;
    const binary = Buffer.isBuffer(payload.payload);
    this.hub.broadcast(channel, { event: payload.event, payload: payload.payload ?? {}, binary });
    if (channel.ack) this.reply(frame, "ok", {});
  }

  private async presence(channel: Channel, frame: Frame, payload: Record<string, unknown>): Promise<void> {
    if (payload.event === "track") {
      if (!(await channel.mayWrite("presence"))) {
        this.reply(frame, "error", { reason: `Unauthorized: You do not have permissions to track presence on this Channel topic: ${channel.subTopic}` });
        return;
      }
      const meta = typeof payload.payload === "object" && payload.payload !== null ? (payload.payload as Record<string, unknown>) : {};
      if (!channel.presenceEnabled) {
        channel.presenceEnabled = true;
        if (channel.receivesPresence) channel.push("presence_state", this.hub.presenceState(channel));
      }
      this.hub.track(channel, meta);
      this.reply(frame, "ok", {});
    } else if (payload.event === "untrack") {
      this.hub.untrack(channel);
      this.reply(frame, "ok", {});
    } else {
      this.reply(frame, "error", { reason: "presence event must be track or untrack" });
    }
  }

  removeChannel(channel: Channel): void {
    if (this.channels.get(channel.topic) === channel) this.channels.delete(channel.topic);
    this.hub.untrack(channel);
    this.hub.unregister(channel);
    channel.dispose();
  }

  /** Closes the socket; 1001 ("going away") tells the client to reconnect. */
  close(code = 1001, reason = "server shutting down"): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(code, reason);
    this.dispose();
  }

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idle);
    for (const channel of this.channels.values()) this.removeChannel(channel);
  }
}
