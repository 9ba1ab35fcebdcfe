// A channel whose handling fails unexpectedly ends the way a crashed Phoenix
// channel does: phx_error (the client rejoins with backoff), or an error reply
// to the join; the socket and its other channels carry on.
import { EventEmitter } from "node:events";
import type { Sql } from "postgres";
import { describe, expect, it } from "vitest";
import type { WebSocket } from "ws";
import { Session, type Hub } from "../../local/realtime/session.ts";
import { waitFor } from "../support/wait.ts";

class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  sent: unknown[] = [];
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  terminate() {}
  close() {}
  /** A frame from the client. */
  receive(frame: unknown[]) {
    this.emit("message", Buffer.from(JSON.stringify(frame)), false);
  }
}

function setup(faults: { token?: boolean; broadcast?: boolean }) {
  const logs: string[] = [];
  const hub: Hub = {
    sql: undefined as unknown as Sql,
    checkToken: async () => {
      if (faults.token) throw new Error("token service down");
      return { ok: true, claims: { role: "anon", exp: Math.floor(Date.now() / 1000) + 3600 } };
    },
    log: (line) => logs.push(line),
    joinErrorDelayMs: 0,
    register() {},
    unregister() {},
    broadcast() {
      if (faults.broadcast) throw new Error("fan-out failed");
    },
    presenceState: () => ({}),
    track() {},
    untrack() {},
  };
  const ws = new FakeSocket();
  new Session(hub, ws as unknown as WebSocket, "2.0.0", "connect-key", {});
  return { ws, logs };
}

const reply = (ws: FakeSocket, ref: string) => waitFor(`the reply to ${ref}`, async () => ws.sent.find((f) => (f as unknown[])[1] === ref), 2000);

describe("a channel that fails", () => {
  it("answers a join that failed with an error reply", async () => {
    const { ws, logs } = setup({ token: true });
    ws.receive(["1", "1", "realtime:room", "phx_join", { config: {} }]);
    expect(await reply(ws, "1")).toEqual(["1", "1", "realtime:room", "phx_reply", { status: "error", response: { reason: "UnknownErrorOnChannel: the channel failed to start" } }]);
    expect(logs.join("\n")).toContain("token service down");
  });

  it("sends phx_error with the join ref and forgets the channel, keeping the socket", async () => {
    const { ws } = setup({ broadcast: true });
    ws.receive(["1", "1", "realtime:room", "phx_join", { config: {} }]);
    await reply(ws, "1");
    ws.receive(["3", "3", "realtime:other", "phx_join", { config: {} }]);
    await reply(ws, "3");
    ws.receive(["1", "2", "realtime:room", "broadcast", { type: "broadcast", event: "x", payload: {} }]);
    await waitFor("phx_error", async () => ws.sent.find((f) => (f as unknown[])[3] === "phx_error"), 2000);
    expect(ws.sent.filter((f) => (f as unknown[])[3] === "phx_error")).toEqual([["1", "1", "realtime:room", "phx_error", {}]]);
    ws.receive(["1", "4", "realtime:room", "phx_leave", {}]);
    expect(await reply(ws, "4")).toEqual(["1", "4", "realtime:room", "phx_reply", { status: "error", response: { reason: "unmatched topic" } }]);
    ws.receive(["3", "5", "realtime:other", "phx_leave", {}]);
    expect(await reply(ws, "5")).toEqual(["3", "5", "realtime:other", "phx_reply", { status: "ok", response: {} }]);
  });
});
