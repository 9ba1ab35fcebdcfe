// Realtime through the unmodified supabase-js: clients on the stack's API port
// or on a Realtime server of the test's own (which a test may kill and
// restart), users signed with the stack's JWT secret, and jobs inserted as
// those users.
import { createClient, type RealtimeChannel, type SupabaseClient } from "@supabase/supabase-js";
import { SignJWT } from "jose";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll } from "vitest";
import WebSocket from "ws";
import { createRealtimeServer, websocketPath, type RealtimeServer } from "../../local/realtime/server.ts";
import { db, stack } from "../support/stack.ts";
import { sleep, waitFor } from "../support/wait.ts";

export const env = stack();
export const sql = db(4);
export { sleep, waitFor };

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await sql.end({ timeout: 5 });
});

export type Vsn = "1.0.0" | "2.0.0";

export function signToken(claims: Record<string, unknown>, expiresIn: string | number = "1h"): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(env.JWT_SECRET));
}

export interface User {
  id: string;
  token: string;
}

/** A user in auth.users (jobs reference their owner) with an access token as Auth would issue it. */
export async function createUser(): Promise<User> {
  const [user] = await sql<{ id: string }[]>`insert into auth.users (id) values (gen_random_uuid()) returning id::text`;
  cleanups.push(() => sql`delete from auth.users where id = ${user.id}`);
  return { id: user.id, token: await userToken(user.id) };
}

export function userToken(id: string, expiresIn: string | number = "1h"): Promise<string> {
  return signToken({ sub: id, role: "authenticated", aud: "authenticated", session_id: crypto.randomUUID(), is_anonymous: false }, expiresIn);
}

export interface Client {
  supabase: SupabaseClient;
  /** The token the client hands Realtime; change it and call `refresh()` to send it on the live socket. */
  token: string;
  refresh(): Promise<void>;
}

/**
 * supabase-js as an app would create it, with `ws` as the WebSocket Node 20
 * lacks. Like Supabase's docs for private channels, it awaits
 * `realtime.setAuth()` first: a join sent before the token is known carries
 * only the anon key.
 */
export async function client(url: string, token: string, vsn: Vsn = "2.0.0", realtime: { timeout?: number } = {}): Promise<Client> {
  const holder: Client = {
    token,
    supabase: undefined as unknown as SupabaseClient,
    refresh: () => holder.supabase.realtime.setAuth(),
  };
  holder.supabase = createClient(url, env.SUPABASE_ANON_KEY, {
    accessToken: async () => holder.token,
    realtime: { transport: WebSocket as never, vsn, ...realtime },
  });
  cleanups.push(async () => {
    await holder.supabase.removeAllChannels();
    holder.supabase.realtime.disconnect();
  });
  await holder.supabase.realtime.setAuth();
  return holder;
}

/** Resolves on SUBSCRIBED; rejects with the server's reason on CHANNEL_ERROR, TIMED_OUT or CLOSED. */
export function subscribe(channel: RealtimeChannel): Promise<RealtimeChannel> {
  return new Promise((resolve, reject) => {
    let settled = false;
    channel.subscribe((status, error) => {
      if (settled) return;
      settled = true;
      if (status === "SUBSCRIBED") resolve(channel);
      else reject(error ?? new Error(status));
    });
  });
}

/** Every subscribe status a channel reports, for tests that watch it rejoin. */
export function statuses(channel: RealtimeChannel): string[] {
  const seen: string[] = [];
  channel.subscribe((status) => seen.push(status));
  return seen;
}

export interface OwnRealtime {
  url: string;
  server(): RealtimeServer;
  /** Stops the server (every socket closed), then starts it again on the same port. */
  restart(): Promise<void>;
}

/** A Realtime server of this test file's own on a free port, on the stack's database. */
export async function startOwnRealtime(): Promise<OwnRealtime> {
  const start = () => createRealtimeServer({ dbUrl: env.SUPABASE_DB_URL, jwtSecret: env.JWT_SECRET, log: () => {}, joinErrorDelayMs: 100 });
  let realtime = await start();
  const serve = () =>
    createServer((req, res) => {
      const prefix = "/realtime/v1";
      if (req.url?.startsWith(`${prefix}/`)) void realtime.handleHttp(req, res, req.url.slice(prefix.length));
      else res.writeHead(404).end();
    });
  let http: Server = serve();
  const listen = async (port: number) => {
    http = serve();
    http.on("upgrade", (req, socket, head) => {
      if (req.url?.startsWith(websocketPath)) void realtime.handleUpgrade(req, socket, head);
      else socket.destroy();
    });
    await new Promise<void>((resolve) => http.listen(port, "127.0.0.1", resolve));
    return (http.address() as AddressInfo).port;
  };
  const port = await listen(0);
  const stop = async () => {
    await realtime.close();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  };
  cleanups.push(stop);
  return {
    url: `http://127.0.0.1:${port}`,
    server: () => realtime,
    async restart() {
      await stop();
      cleanups.splice(cleanups.indexOf(stop), 1);
      realtime = await start();
      await listen(port);
      cleanups.push(stop);
    },
  };
}

/**
 * Inserts a job as `user` would through the Data API: as authenticated, with
 * their claims. `beforeCommit` runs with the new id while the insert is not
 * yet visible, so a test can subscribe to the job before anything happens to it.
 */
export async function insertJobAs(
  user: User,
  endpoint: string,
  input: Record<string, unknown>,
  beforeCommit?: (id: string) => Promise<unknown>,
): Promise<string> {
  return sql.begin(async (tx) => {
    await tx`select set_config('role', 'authenticated', true),
                    set_config('request.jwt.claims', ${JSON.stringify({ sub: user.id, role: "authenticated" })}, true)`;
    const [job] = await tx<{ id: string }[]>`
      insert into pgpod.jobs (endpoint, input) values (${endpoint}, ${sql.json(input as never)}) returning id::text`;
    await beforeCommit?.(job.id);
    return job.id;
  });
}

/** The client's own WebSocket (the `ws` object), to kill it as a crashed client would. */
export function socketOf(c: Client): WebSocket {
  return (c.supabase.realtime as unknown as { socketAdapter: { getSocket(): { conn: WebSocket } } }).socketAdapter.getSocket().conn;
}

/** Collects what a callback receives. */
export function collector<T>(): { items: T[]; push: (item: T) => void } {
  const items: T[] = [];
  return { items, push: (item) => items.push(item) };
}
