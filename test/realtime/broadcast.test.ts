// Broadcast between clients (self, ack, across serializer versions), Broadcast
// from the database in commit order, private channels' write policy, and
// Presence.
import { beforeAll, describe, expect, it } from "vitest";
import { client, collector, createUser, env, sql, startOwnRealtime, subscribe, waitFor, type OwnRealtime, type User, type Vsn } from "./harness.ts";

interface Received {
  type: string;
  event: string;
  payload: Record<string, unknown>;
  meta?: { id: string };
}

let realtime: OwnRealtime;
let a: User;
const room = (name: string) => `${name}-${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  a = await createUser();
  realtime = await startOwnRealtime();
});

describe.each<[Vsn, Vsn]>([
  ["1.0.0", "1.0.0"],
  ["2.0.0", "2.0.0"],
  ["2.0.0", "1.0.0"],
  ["1.0.0", "2.0.0"],
])("client broadcast from vsn %s to vsn %s", (senderVsn, receiverVsn) => {
  it("reaches the others, the sender only with self, and answers an ack", async () => {
    const topic = room("chat");
    const receiver = await client(realtime.url, env.SUPABASE_ANON_KEY, receiverVsn);
    const got = collector<Received>();
    await subscribe(receiver.supabase.channel(topic).on("broadcast", { event: "hello" }, got.push));

    const quiet = await client(realtime.url, env.SUPABASE_ANON_KEY, senderVsn);
    const quietGot = collector<Received>();
    const quietChannel = await subscribe(quiet.supabase.channel(topic).on("broadcast", { event: "*" }, quietGot.push));
    expect(await quietChannel.send({ type: "broadcast", event: "hello", payload: { n: 1, text: "héllo ✓" } })).toBe("ok");

    const loud = await client(realtime.url, env.SUPABASE_ANON_KEY, senderVsn);
    const loudGot = collector<Received>();
    const loudChannel = await subscribe(
      loud.supabase.channel(topic, { config: { broadcast: { self: true, ack: true } } }).on("broadcast", { event: "hello" }, loudGot.push),
    );
    expect(await loudChannel.send({ type: "broadcast", event: "hello", payload: { n: 2 } })).toBe("ok");
    await quietChannel.send({ type: "broadcast", event: "other", payload: { n: 3 } });

    await waitFor("both broadcasts at the receiver", async () => got.items.length === 2, 5000);
    await waitFor("the loud sender's own broadcast", async () => loudGot.items.length === 1, 5000);
    await waitFor("the loud broadcast at the quiet sender", async () => quietGot.items.length === 1, 5000);
    expect(got.items).toEqual([
      { type: "broadcast", event: "hello", payload: { n: 1, text: "héllo ✓" } },
      { type: "broadcast", event: "hello", payload: { n: 2 } },
    ]);
    expect(loudGot.items).toEqual([{ type: "broadcast", event: "hello", payload: { n: 2 } }]);
    // Without self the quiet sender never heard itself; it heard the loud one.
    expect(quietGot.items).toEqual([{ type: "broadcast", event: "hello", payload: { n: 2 } }]);
  });
});

describe("broadcast from the database", () => {
  it.each<Vsn>(["1.0.0", "2.0.0"])("realtime.send reaches public channels of the topic in commit order (vsn %s)", async (vsn) => {
    const topic = room("db");
    const listener = await client(realtime.url, env.SUPABASE_ANON_KEY, vsn);
    const got = collector<Received>();
    await subscribe(listener.supabase.channel(topic).on("broadcast", { event: "*" }, got.push));

    // The first transaction to start commits last: delivery follows commit order.
    let releaseFirst!: () => void;
    const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstSent!: () => void;
    const firstHasSent = new Promise<void>((resolve) => (firstSent = resolve));
    const first = sql.begin(async (tx) => {
      await tx`select realtime.send('{"step": "first"}'::jsonb, 'step', ${topic}, false)`;
      firstSent();
      await firstMayCommit;
    });
    await firstHasSent;
    await sql`select realtime.send('{"step": "second"}'::jsonb, 'step', ${topic}, false)`;
    releaseFirst();
    await first;
    await sql.begin(async (tx) => {
      for (let i = 0; i < 5; i++) await tx`select realtime.send(${sql.json({ step: `batch ${i}` })}, 'step', ${topic}, false)`;
    });
    await waitFor("seven broadcasts", async () => got.items.length >= 7, 10_000);
    expect(got.items.map((m) => m.payload.step)).toEqual(["second", "first", "batch 0", "batch 1", "batch 2", "batch 3", "batch 4"]);
    const [message] = got.items;
    expect(message).toEqual({ type: "broadcast", event: "step", payload: { step: "second", id: expect.any(String) }, meta: { id: expect.any(String) } });
    const [row] = await sql`select id::text from realtime.messages where topic = ${topic} and payload ->> 'step' = 'second'`;
    expect(message.meta!.id).toBe(row.id);
  });

  it("keeps private and public channels of one topic apart", async () => {
    const topic = `pgpod:jobs:${a.id}`;
    // One socket holds one channel per topic: a client each.
    const [privateMember, publicMember] = await Promise.all([client(realtime.url, a.token), client(realtime.url, a.token)]);
    const privateGot = collector<Received>();
    const publicGot = collector<Received>();
    await subscribe(privateMember.supabase.channel(topic, { config: { private: true } }).on("broadcast", { event: "*" }, privateGot.push));
    await subscribe(publicMember.supabase.channel(topic).on("broadcast", { event: "*" }, publicGot.push));
    await sql`select realtime.send('{"to": "private"}'::jsonb, 'note', ${topic}, true)`;
    await sql`select realtime.send('{"to": "public"}'::jsonb, 'note', ${topic}, false)`;
    await waitFor("both messages", async () => privateGot.items.length + publicGot.items.length === 2, 10_000);
    expect(privateGot.items.map((m) => m.payload.to)).toEqual(["private"]);
    expect(publicGot.items.map((m) => m.payload.to)).toEqual(["public"]);
  });
});

describe("the REST broadcast API", () => {
  it("takes send() on a channel that is not joined and httpSend(), and reaches the joined channels", async () => {
    const topic = room("rest");
    const listener = await client(realtime.url, env.SUPABASE_ANON_KEY);
    const got = collector<Received>();
    await subscribe(listener.supabase.channel(topic).on("broadcast", { event: "*" }, got.push));
    const sender = await client(realtime.url, env.SUPABASE_ANON_KEY);
    const unjoined = sender.supabase.channel(topic);
    expect(await unjoined.send({ type: "broadcast", event: "via-send", payload: { a: 1 } })).toBe("ok");
    expect(await unjoined.httpSend("via-http", { b: 2 })).toEqual({ success: true });
    await waitFor("both REST broadcasts", async () => got.items.length === 2, 5000);
    expect(got.items).toEqual([
      { type: "broadcast", event: "via-send", payload: { a: 1 } },
      { type: "broadcast", event: "via-http", payload: { b: 2 } },
    ]);
  });

  it("drops private messages the INSERT policies deny and refuses a bad token", async () => {
    const topic = `pgpod:jobs:${a.id}`;
    const owner = await client(realtime.url, a.token);
    const got = collector<Received>();
    const channel = await subscribe(owner.supabase.channel(topic, { config: { private: true } }).on("broadcast", { event: "*" }, got.push));
    expect(await channel.httpSend("spoof", { status: "succeeded" })).toEqual({ success: true });
    await sql`select realtime.send('{"marker": true}'::jsonb, 'marker', ${topic}, true)`;
    await waitFor("the database's marker", async () => got.items.length > 0, 5000);
    expect(got.items.map((m) => m.event)).toEqual(["marker"]);

    const response = await fetch(`${realtime.url}/realtime/v1/api/broadcast`, {
      method: "POST",
      headers: { apikey: "not-a-jwt", "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ topic: "x", event: "y", payload: {} }] }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: "MalformedJWT: The token provided is not a valid JWT" });
  });
});

describe("private channel writes", () => {
  it("drops a broadcast the realtime.messages INSERT policies deny, without an ack", async () => {
    const owner = await client(realtime.url, a.token, "2.0.0", { timeout: 1500 });
    const channel = await subscribe(owner.supabase.channel(`pgpod:jobs:${a.id}`, { config: { private: true, broadcast: { self: true, ack: true } } }));
    const got = collector<Received>();
    channel.on("broadcast", { event: "*" }, got.push);
    expect(await channel.send({ type: "broadcast", event: "spoof", payload: { status: "succeeded" } })).toBe("timed out");
    expect(got.items).toEqual([]);
  });
});

describe("presence", () => {
  it.each<Vsn>(["1.0.0", "2.0.0"])("tracks, syncs and untracks (vsn %s)", async (vsn) => {
    const topic = room("lobby");
    const alice = await client(realtime.url, env.SUPABASE_ANON_KEY, vsn);
    const bob = await client(realtime.url, env.SUPABASE_ANON_KEY, vsn);
    const aliceChannel = await subscribe(alice.supabase.channel(topic, { config: { presence: { key: "alice" } } }).on("presence", { event: "sync" }, () => {}));
    const joins = collector<{ key: string; newPresences: unknown[] }>();
    const leaves = collector<{ key: string }>();
    const bobChannel = await subscribe(
      bob.supabase
        .channel(topic, { config: { presence: { key: "bob" } } })
        .on("presence", { event: "join" }, joins.push)
        .on("presence", { event: "leave" }, leaves.push),
    );
    expect(await aliceChannel.track({ mood: "happy" })).toBe("ok");
    await waitFor("bob to see alice join", async () => joins.items.find((j) => j.key === "alice"), 5000);
    expect(bobChannel.presenceState()).toEqual({ alice: [{ mood: "happy", presence_ref: expect.any(String) }] });

    expect(await bobChannel.track({ mood: "calm" })).toBe("ok");
    await waitFor("alice to see bob", async () => "bob" in aliceChannel.presenceState(), 5000);

    expect(await aliceChannel.untrack()).toBe("ok");
    await waitFor("bob to see alice leave", async () => leaves.items.find((l) => l.key === "alice"), 5000);
    expect(Object.keys(bobChannel.presenceState())).toEqual(["bob"]);

    // Leaving the channel ends its presence too.
    await bob.supabase.removeChannel(bobChannel);
    await waitFor("alice to see bob leave", async () => !("bob" in aliceChannel.presenceState()), 5000);
  });
});
