// @pgpod/client against the local stack through the unmodified supabase-js:
// users signed up through Auth, a WebSocket (Node 20 has none) whose
// connection a test can cut and restore, and a fetch whose Data API answers a
// test can hold back.
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { afterAll } from "vitest";
import WebSocket from "ws";
import { uniqueEmail } from "../support/clients.ts";
import { db, stack } from "../support/stack.ts";

export const env = stack();
export const sql = db(4);

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await sql.end({ timeout: 5 });
});

/**
 * The client's network link to Realtime. `drop()` closes its sockets the way
 * a lost connection does and refuses new ones until `restore()`.
 */
export interface Link {
  drop(): void;
  restore(): void;
  /** Sockets opened so far. */
  readonly opened: number;
}

function linkedWebSocket(): { transport: new (url: string | URL, protocols?: string | string[]) => WebSocket; link: Link } {
  let offline = false;
  let opened = 0;
  const open = new Set<WebSocket>();
  class LinkedWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      // port 1 refuses at once, as a network without a route does after a moment
      super(offline ? String(url).replace(/\/\/[^/]+/, "//127.0.0.1:1") : url, protocols);
      if (!offline) opened++;
      open.add(this);
      this.once("close", () => open.delete(this));
    }
  }
  return {
    transport: LinkedWebSocket,
    link: {
      drop() {
        offline = true;
        for (const socket of open) socket.terminate();
      },
      restore() {
        offline = false;
      },
      get opened() {
        return opened;
      },
    },
  };
}

/** Holds back Data API answers to GET /rest/v1/jobs while armed: the read is made, its answer arrives when released. */
export interface ReadGate {
  arm(): void;
  /** Resolves when an armed read has been answered by the Data API (and is being held). */
  held(): Promise<void>;
  release(): void;
}

function gatedFetch(): { fetch: typeof fetch; gate: ReadGate } {
  let armed = false;
  let onHeld: (() => void) | null = null;
  const heldPromise = () => new Promise<void>((resolve) => (onHeld = resolve));
  let held = heldPromise();
  let release: (() => void) | null = null;
  const gateFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    if (!armed || method !== "GET" || !url.pathname.endsWith("/rest/v1/jobs")) return response;
    armed = false;
    const body = await response.arrayBuffer();
    await new Promise<void>((resolve) => {
      release = resolve;
      onHeld?.();
    });
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return {
    fetch: gateFetch,
    gate: {
      arm() {
        armed = true;
        held = heldPromise();
      },
      held: () => held,
      release: () => release?.(),
    },
  };
}

export interface TestUser {
  id: string;
  supabase: SupabaseClient;
  link: Link;
  gate: ReadGate;
}

/** A new user signed up through Auth, with a supabase-js client signed in as them. */
export async function signUp(): Promise<TestUser> {
  const { transport, link } = linkedWebSocket();
  const { fetch, gate } = gatedFetch();
  const supabase = createClient(env.SUPABASE_URL, env.SUPABASE_ANON_KEY, {
    auth: { persistSession: false, autoRefreshToken: false },
    global: { fetch },
    realtime: { transport: transport as never },
  });
  const { data, error } = await supabase.auth.signUp({ email: uniqueEmail("sdk"), password: `pw-${Math.random().toString(36).slice(2)}` });
  if (error || !data.user || !data.session) throw new Error(`sign-up failed: ${error?.message ?? "no session"}`);
  cleanups.push(async () => {
    await supabase.removeAllChannels();
    supabase.realtime.disconnect();
  });
  cleanups.push(() => sql`delete from auth.users where id = ${data.user!.id}`);
  return { id: data.user.id, supabase, link, gate };
}

/** A supabase-js client with only the anon key: nobody signed in. */
export function anonClient(): SupabaseClient {
  const supabase = createClient(env.SUPABASE_URL, env.SUPABASE_ANON_KEY, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
  });
  cleanups.push(async () => supabase.realtime.disconnect());
  return supabase;
}

/**
 * An endpoint with no RunPod behind it. Tests submit to it with a far
 * `runAfter`, so the dispatcher leaves the jobs alone, and move them through SQL.
 */
export async function idleEndpoint(name: string, inputSchema: object | null = null): Promise<string> {
  await sql`insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, input_schema)
            values (${name}, 'idle', 'http://127.0.0.1:1/v2', ${inputSchema ? sql.json(inputSchema as never) : null})`;
  cleanups.push(async () => {
    await sql`delete from pgpod.jobs where endpoint = ${name}`;
    await sql`delete from pgpod.endpoints where name = ${name}`;
  });
  return name;
}

/** Puts a job in a state, as the dispatcher and webhook would leave it. */
export async function setStatus(jobId: string, status: string, output: object | null = null): Promise<void> {
  const finished = ["succeeded", "failed", "cancelled"].includes(status);
  await sql`update pgpod.jobs set status = ${status}::pgpod.job_status, output = ${output ? sql.json(output as never) : null},
              error = ${status === "failed" ? "worker exploded" : null},
              finished_at = case when ${finished} then now() end, updated_at = now()
            where id = ${jobId}`;
}

export { sleep, waitFor } from "../support/wait.ts";
