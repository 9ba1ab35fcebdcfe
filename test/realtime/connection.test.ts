// The socket and channel lifecycle: frames and refs as the Phoenix protocol has
// them, refused tokens and joins with Realtime's error shapes, a token
// refreshed on a live socket, clients that crash or stop reading, a server
// restart the client recovers from by itself, and the replication slot.
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  client,
  collector,
  createUser,
  env,
  signToken,
  socketOf,
  sql,
  startOwnRealtime,
  statuses,
  subscribe,
  userToken,
  waitFor,
} from "./harness.ts";

const realtime = await startOwnRealtime();
const wsUrl = (token: string, vsn = "2.0.0") => `${realtime.url.replace("http", "ws")}/realtime/v1/websocket?apikey=${token}&vsn=${vsn}`;
const room = (name: string) => `${name}-${Math.random().toString(36).slice(2, 8)}`;

/** A bare Phoenix client, to see the frames themselves. */
async function rawSocket(vsn = "2.0.0", token = env.SUPABASE_ANON_KEY) {
  const ws = new WebSocket(wsUrl(token, vsn));
  const frames: unknown[] = [];
  ws.on("message", (data, isBinary) => frames.push(isBinary ? data : JSON.parse(data.toString())));
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  return {
    ws,
    frames,
    send: (frame: unknown) => ws.send(JSON.stringify(frame)),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    next: (match: (frame: any) => boolean): Promise<any> => waitFor("a frame", async () => frames.find(match), 5000),
  };
}

describe("frames", () => {
  it("answers heartbeats and joins echoing ref and join_ref (vsn 2.0.0 arrays)", async () => {
    const s = await rawSocket();
    s.send([null, "7", "phoenix", "heartbeat", {}]);
    expect(await s.next((f) => f[1] === "7")).toEqual([null, "7", "phoenix", "phx_reply", { status: "ok", response: {} }]);
    const topic = `realtime:${room("raw")}`;
    s.send(["12", "12", topic, "phx_join", { config: { broadcast: { self: true }, presence: { enabled: false }, postgres_changes: [], private: false } }]);
    expect(await s.next((f) => f[1] === "12")).toEqual(["12", "12", topic, "phx_reply", { status: "ok", response: { postgres_changes: [] } }]);
    s.send(["12", "13", "realtime:not-joined", "broadcast", { type: "broadcast", event: "x", payload: {} }]);
    expect(await s.next((f) => f[1] === "13")).toEqual(["12", "13", "realtime:not-joined", "phx_reply", { status: "error", response: { reason: "unmatched topic" } }]);
    s.send(["12", "14", topic, "phx_leave", {}]);
    expect(await s.next((f) => f[1] === "14")).toEqual(["12", "14", topic, "phx_reply", { status: "ok", response: {} }]);
    s.ws.close();
  });

  it("ignores frames it cannot read and keeps the socket", async () => {
    const s = await rawSocket();
    s.ws.send("not json");
    s.ws.send(JSON.stringify({ an: "object under 2.0.0" }));
    s.ws.send(Buffer.from([3, 200, 200, 200, 200, 200, 1]));
    s.ws.send(Buffer.from([9, 0, 0]));
    s.send([null, "5", "phoenix", "heartbeat", {}]);
    expect(await s.next((f) => Array.isArray(f) && f[1] === "5")).toEqual([null, "5", "phoenix", "phx_reply", { status: "ok", response: {} }]);
    s.ws.close();
  });

  it("speaks JSON objects under vsn 1.0.0", async () => {
    const s = await rawSocket("1.0.0");
    s.send({ topic: "phoenix", event: "heartbeat", payload: {}, ref: "3", join_ref: null });
    expect(await s.next((f) => f.ref === "3")).toEqual({ topic: "phoenix", event: "phx_reply", payload: { status: "ok", response: {} }, ref: "3", join_ref: null });
    s.ws.close();
  });

  it("sends a database broadcast to vsn 2.0.0 as a binary user-broadcast frame with its id", async () => {
    const s = await rawSocket();
    const name = room("bin");
    s.send(["1", "1", `realtime:${name}`, "phx_join", { config: { private: false } }]);
    await s.next((f) => Array.isArray(f) && f[1] === "1");
    await sql`select realtime.send('{"k": "v"}'::jsonb, 'evt', ${name}, false)`;
    const frame = (await s.next((f) => Buffer.isBuffer(f))) as Buffer;
    const [kind, topicLength, eventLength, metaLength, encoding] = frame;
    expect([kind, encoding]).toEqual([4, 1]);
    let offset = 5;
    const part = (length: number) => frame.toString("utf8", offset, (offset += length));
    expect(part(topicLength)).toBe(`realtime:${name}`);
    expect(part(eventLength)).toBe("evt");
    const meta = JSON.parse(part(metaLength));
    const payload = JSON.parse(frame.toString("utf8", offset));
    expect(payload).toEqual({ k: "v", id: expect.any(String) });
    const [row] = await sql`select id::text from realtime.messages where topic = ${name}`;
    expect(meta).toEqual({ id: row.id });
    s.ws.close();
  });
});

describe("tokens", () => {
  it("refuses an upgrade whose apikey is not a valid JWT, with a JSON error", async () => {
    const ws = new WebSocket(wsUrl("nope"));
    const { status, body } = await new Promise<{ status?: number; body: string }>((resolve) =>
      ws.once("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode, body }));
      }),
    );
    expect(status).toBe(401);
    expect(JSON.parse(body)).toEqual({ error: "MalformedJWT: The token provided is not a valid JWT" });
  });

  it.each([
    ["expired", () => signToken({ role: "authenticated", sub: crypto.randomUUID() }, Math.floor(Date.now() / 1000) - 30), /^InvalidJWTToken: Token has expired \d+ seconds ago$/],
    ["signed with another secret", async () => "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiIsImV4cCI6NDEwMjQ0NDgwMH0.c2lnbmF0dXJl", /^InvalidJWTToken: /],
    ["without role", () => signToken({ sub: "x" }), /^InvalidJWTToken: Fields `role` and `exp` are required in JWT$/],
    ["not a JWT", async () => "garbage", /^MalformedJWT: The token provided is not a valid JWT$/],
  ])("refuses a join whose token is %s, with Realtime's reason", async (_what, token, reason) => {
    const s = await rawSocket();
    s.send(["1", "1", `realtime:${room("t")}`, "phx_join", { config: {}, access_token: await token() }]);
    const reply = await s.next((f) => f[1] === "1");
    expect(reply[4].status).toBe("error");
    expect(reply[4].response.reason).toMatch(reason);
    s.ws.close();
  });

  it("takes a refreshed token on a live socket and closes the channel once it no longer may read", async () => {
    const [a, b] = await Promise.all([createUser(), createUser()]);
    const owner = await client(realtime.url, a.token);
    const topic = `pgpod:jobs:${a.id}`;
    const got = collector<{ payload: { n: number } }>();
    const system = collector<{ status: string; message: string }>();
    const channel = owner.supabase.channel(topic, { config: { private: true } }).on("broadcast", { event: "*" }, got.push).on("system", {}, system.push);
    const seen = statuses(channel);
    await waitFor("the join", async () => seen.includes("SUBSCRIBED"), 5000);

    // A fresh token for the same user: the channel carries on.
    owner.token = await userToken(a.id, "2h");
    await owner.refresh();
    await sql`select realtime.send('{"n": 1}'::jsonb, 'e', ${topic}, true)`;
    await waitFor("the broadcast after the refresh", async () => got.items.length === 1, 5000);

    // Now B's identity: A's topic is no longer readable.
    owner.token = b.token;
    await owner.refresh();
    await waitFor("the channel to close", async () => seen.includes("CLOSED"), 5000);
    expect(system.items.at(-1)).toMatchObject({ status: "error", message: `You no longer have permission to read from this Channel topic: ${topic}` });
    const listener = await client(realtime.url, a.token);
    const check = collector<{ payload: { n: number } }>();
    await subscribe(listener.supabase.channel(topic, { config: { private: true } }).on("broadcast", { event: "*" }, check.push));
    await sql`select realtime.send('{"n": 2}'::jsonb, 'e', ${topic}, true)`;
    await waitFor("the control listener", async () => check.items.find((m) => m.payload.n === 2), 5000);
    expect(got.items.map((m) => m.payload.n)).toEqual([1]);
  });

  it("closes a channel when its token expires", async () => {
    const a = await createUser();
    const owner = await client(realtime.url, await userToken(a.id, Math.floor(Date.now() / 1000) + 2));
    const system = collector<{ status: string; message: string }>();
    const channel = owner.supabase.channel(room("short")).on("system", {}, system.push);
    const seen = statuses(channel);
    await waitFor("the channel to close at expiry", async () => seen.includes("CLOSED"), 10_000);
    expect(seen[0]).toBe("SUBSCRIBED");
    expect(system.items.at(-1)).toMatchObject({ status: "error", message: expect.stringMatching(/^Token has expired \d+ seconds ago$/) });
  });
});

describe("failures", () => {
  it("keeps delivering to others when a client crashes mid-stream or stops reading", async () => {
    const topic = room("stream");
    const steady = await client(realtime.url, env.SUPABASE_ANON_KEY);
    const steadyGot = collector<{ payload: { i: number } }>();
    await subscribe(steady.supabase.channel(topic).on("broadcast", { event: "*" }, steadyGot.push));
    const doomed = await client(realtime.url, env.SUPABASE_ANON_KEY);
    const doomedGot = collector<{ payload: { i: number } }>();
    await subscribe(doomed.supabase.channel(topic).on("broadcast", { event: "*" }, doomedGot.push));
    // A client that joined and then never reads its socket again.
    const stalled = await rawSocket();
    stalled.send(["1", "1", `realtime:${topic}`, "phx_join", { config: {} }]);
    await stalled.next((f) => f[1] === "1");
    (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();

    const filler = "x".repeat(20_000);
    for (let i = 0; i < 200; i++) {
      if (i === 50) socketOf(doomed).terminate();
      await sql`select realtime.send(${sql.json({ i, filler })}, 'tick', ${topic}, false)`;
    }
    await waitFor("the steady client to get all 200", async () => steadyGot.items.length === 200, 30_000);
    expect(steadyGot.items.map((m) => m.payload.i)).toEqual([...Array(200).keys()]);
    expect(doomedGot.items.length).toBeLessThan(200);
    stalled.ws.terminate();
  });

  it("streams again on a new slot when its replication connection is cut, with clients still joined", async () => {
    const topic = room("cut");
    const listener = await client(realtime.url, env.SUPABASE_ANON_KEY);
    const got = collector<{ payload: { n: number } }>();
    await subscribe(listener.supabase.channel(topic).on("broadcast", { event: "*" }, got.push));
    const slot = realtime.server().slot;
    await sql`select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = ${slot}`;
    await waitFor("a new slot", async () => realtime.server().slot !== slot, 20_000);
    await sql`select realtime.send('{"n": 1}'::jsonb, 'after-cut', ${topic}, false)`;
    await waitFor("the broadcast after the cut", async () => got.items.length === 1, 5000);
    expect(await sql`select 1 from pg_replication_slots where slot_name = ${slot}`).toHaveLength(0);
  });

  it("lets the client rejoin by itself after the server restarts, on a new temporary slot", async () => {
    const topic = room("restart");
    const listener = await client(realtime.url, env.SUPABASE_ANON_KEY);
    const got = collector<{ payload: { n: number } }>();
    const channel = listener.supabase.channel(topic).on("broadcast", { event: "*" }, got.push);
    const seen = statuses(channel);
    await waitFor("the first join", async () => seen.includes("SUBSCRIBED"), 5000);
    const slotBefore = realtime.server().slot;
    const [before] = await sql`select temporary, active from pg_replication_slots where slot_name = ${slotBefore}`;
    expect(before).toEqual({ temporary: true, active: true });

    await realtime.restart();
    await waitFor("the client to rejoin", async () => seen.filter((s) => s === "SUBSCRIBED").length === 2, 20_000);
    await sql`select realtime.send('{"n": 1}'::jsonb, 'after', ${topic}, false)`;
    await waitFor("the broadcast after the restart", async () => got.items.length === 1, 5000);
    expect(seen).toContain("CHANNEL_ERROR");
    expect(await sql`select 1 from pg_replication_slots where slot_name = ${slotBefore}`).toHaveLength(0);
    expect(realtime.server().slot).not.toBe(slotBefore);
  });
});
