import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeFailure, runpodClient } from "../../supabase/functions/_shared/runpod.ts";
import { localServer } from "./local-server.ts";

let server: Awaited<ReturnType<typeof localServer>>;

beforeAll(async () => {
  // The endpoint id chooses the behaviour, so one server covers every case.
  server = await localServer((req, res) => {
    const endpoint = req.url.split("/")[2];
    const send = (status: number, body: string, headers: Record<string, string> = {}) =>
      res.writeHead(status, { "content-type": "application/json", ...headers }).end(body);
    switch (endpoint) {
      case "ok":
        return send(200, JSON.stringify({ id: "job-1-e1", status: req.url.includes("/cancel/") ? "CANCELLED" : "IN_QUEUE" }));
      case "busy":
        return send(429, "{}", { "retry-after": "7" });
      case "busy-no-header":
        return send(429, "{}");
      case "down":
        return send(503, "upstream unavailable");
      case "gone":
        return send(404, "{}");
      case "bad":
        return send(400, JSON.stringify({ error: "input is required" }));
      case "garbage":
        return send(200, "<html>");
      case "no-id":
        return send(200, JSON.stringify({ ok: true }));
      case "hang":
        return; // never answers
      case "drop":
        return res.socket?.destroy();
    }
  });
});

afterAll(() => server.close());

const client = (timeoutMs = 2000) => runpodClient({ apiKey: "rpa_test", timeoutMs });
const at = (id: string) => ({ apiBase: `${server.url}/v2/`, runpodEndpointId: id });
const request = { input: { prompt: "x" }, webhook: "https://h/w?run=1", policy: { ttl: 60_000 } };

describe("RunPod client", () => {
  it("posts /run with the bearer key and the input, webhook and policy", async () => {
    const reply = await client().run(at("ok"), request);
    expect(reply).toEqual({ kind: "ok", status: 200, body: { id: "job-1-e1", status: "IN_QUEUE" } });
    const sent = server.requests.at(-1)!;
    expect(sent.method).toBe("POST");
    expect(sent.url).toBe("/v2/ok/run");
    expect(sent.headers.authorization).toBe("Bearer rpa_test");
    expect(sent.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(sent.body)).toEqual(request);
  });

  it("gets /status and posts /cancel for a job id, escaping it", async () => {
    expect((await client().status(at("ok"), "a/b")).kind).toBe("ok");
    expect(server.requests.at(-1)).toMatchObject({ method: "GET", url: "/v2/ok/status/a%2Fb" });
    expect(await client().cancel(at("ok"), "j1")).toMatchObject({ kind: "ok", body: { status: "CANCELLED" } });
    expect(server.requests.at(-1)).toMatchObject({ method: "POST", url: "/v2/ok/cancel/j1" });
  });

  it("classifies 429 with and without Retry-After", async () => {
    expect(await client().run(at("busy"), request)).toEqual({ kind: "rate_limited", status: 429, retryAfterS: 7 });
    expect(await client().run(at("busy-no-header"), request)).toEqual({ kind: "rate_limited", status: 429, retryAfterS: null });
  });

  it("classifies 5xx and malformed 2xx answers as server errors", async () => {
    expect(await client().run(at("down"), request)).toEqual({ kind: "server_error", status: 503, message: "upstream unavailable" });
    expect(await client().run(at("garbage"), request)).toMatchObject({ kind: "server_error", status: 200, message: "response is not JSON: <html>" });
    expect(await client().run(at("no-id"), request)).toMatchObject({ kind: "server_error", message: "response has no job id and status" });
  });

  it("classifies 404 as not found and other 4xx as rejected", async () => {
    expect(await client().status(at("gone"), "j1")).toEqual({ kind: "not_found", status: 404 });
    expect(await client().run(at("bad"), request)).toEqual({ kind: "rejected", status: 400, message: '{"error":"input is required"}' });
  });

  it("gives up on a request that gets no answer within the timeout", async () => {
    expect(await client(150).run(at("hang"), request)).toEqual({ kind: "timeout", message: "POST /run gave no answer within 150 ms" });
  });

  it("reports a dropped connection and a refused one as network errors, once each", async () => {
    const before = server.requests.length;
    expect((await client().run(at("drop"), request)).kind).toBe("network");
    expect(server.requests.length).toBe(before + 1);
    expect((await client().run({ apiBase: "http://127.0.0.1:1/v2", runpodEndpointId: "x" }, request)).kind).toBe("network");
  });

  it("describes failures in one line", () => {
    expect(describeFailure({ kind: "rate_limited", status: 429, retryAfterS: null })).toBe("RunPod answered 429 (rate limited)");
    expect(describeFailure({ kind: "server_error", status: 502, message: "bad gateway" })).toBe("RunPod answered 502: bad gateway");
    expect(describeFailure({ kind: "network", message: "ECONNREFUSED" })).toBe("network error: ECONNREFUSED");
    expect(describeFailure({ kind: "timeout", message: "POST /run gave no answer within 5 ms" })).toBe("POST /run gave no answer within 5 ms");
  });
});
