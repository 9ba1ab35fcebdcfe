// Bad requests get the cloud's answers: 400, 401, 404, 405, 413, 429.
import { describe, expect, it } from "vitest";
import { sleep, startEmulator } from "./support.ts";

describe("bad input", () => {
  it("401 for a wrong or missing key, on the API and the control API alike", async () => {
    const { client } = await startEmulator();
    expect(await client.withAuthorization("Bearer wrong").get("/v2/noop/health")).toEqual({ status: 401, body: { error: "Unauthorized" } });
    expect((await client.withAuthorization("").post("/v2/noop/run", { input: {} })).status).toBe(401);
    expect((await client.withAuthorization("Bearer wrong").get("/_emulator/counters")).status).toBe(401);
  });

  it("accepts the bare key without Bearer, as some cloud examples send it", async () => {
    const { client } = await startEmulator();
    expect((await client.withAuthorization("test-key").get("/v2/noop/health")).status).toBe(200);
  });

  it("400 when input is missing or null, or the body is not a JSON object", async () => {
    const { client, emulator } = await startEmulator();
    for (const body of [{}, { input: null }, { webhook: "http://x/" }]) {
      expect(await client.post("/v2/noop/run", body)).toEqual({ status: 400, body: { error: "input is required" } });
    }
    expect((await client.post("/v2/noop/runsync", { webhook: "http://x/" })).status).toBe(400);
    expect(await client.post("/v2/noop/run", "{not json")).toEqual({ status: 400, body: { error: "request body must be a JSON object" } });
    expect((await client.post("/v2/noop/run", "[1]")).status).toBe(400);
    expect(emulator.counters("noop").jobsSubmitted).toBe(0);
  });

  it("400 for a webhook that is not an http(s) URL or a policy of the wrong type", async () => {
    const { client } = await startEmulator();
    expect((await client.post("/v2/noop/run", { input: {}, webhook: "not a url" })).status).toBe(400);
    expect((await client.post("/v2/noop/run", { input: {}, webhook: "ftp://host/x" })).status).toBe(400);
    expect((await client.post("/v2/noop/run", { input: {}, policy: { ttl: "soon" } })).status).toBe(400);
  });

  it("404 for an unknown endpoint, job id or operation; 405 for the wrong method", async () => {
    const { client } = await startEmulator();
    expect(await client.post("/v2/nope/run", { input: {} })).toEqual({ status: 404, body: { error: "endpoint nope not found" } });
    expect(await client.get("/v2/noop/status/does-not-exist")).toEqual({ status: 404, body: { error: "job not found" } });
    expect((await client.get("/v2/noop/stream/x")).status).toBe(404);
    expect((await client.get("/v2/noop/status")).status).toBe(404);
    expect((await client.get("/elsewhere")).status).toBe(404);
    expect((await client.get("/v2/noop/run")).status).toBe(405);
    expect((await client.post("/v2/noop/health")).status).toBe(405);
  });

  it("413 for a /run body over 10 MB, while /runsync takes up to 20 MB", async () => {
    const { client, emulator } = await startEmulator();
    const body = (bytes: number) => JSON.stringify({ input: { blob: "x".repeat(bytes) } });
    const tooBigForRun = await client.request("POST", "/v2/noop/run", body(10 * 1024 * 1024));
    expect(tooBigForRun.status).toBe(413);
    expect(tooBigForRun.body.error).toContain("10485760");
    expect((await client.request("POST", "/v2/noop/runsync", body(15 * 1024 * 1024))).body.status).toBe("COMPLETED");
    expect((await client.request("POST", "/v2/noop/runsync", body(20 * 1024 * 1024))).status).toBe(413);
    expect(emulator.counters("noop").jobsSubmitted).toBe(1);
  });
});

describe("rate limits", () => {
  it("answers 429 past the per-window limit of an operation, per endpoint, until the window ends", async () => {
    const { client, emulator } = await startEmulator({ rateLimits: { windowMs: 1000, run: 2, status: 3, purgeQueue: 1, cancel: 1, runsync: 1 } });
    expect((await client.post("/v2/noop/run", { input: {} })).status).toBe(200);
    expect((await client.post("/v2/noop/run", { input: {} })).status).toBe(200);
    expect(await client.post("/v2/noop/run", { input: {} })).toEqual({ status: 429, body: { error: "rate limit for /run exceeded" } });
    // Other operations and endpoints have their own windows.
    expect((await client.post("/v2/sleep/run", { input: { ms: 0 } })).status).toBe(200);
    expect((await client.post("/v2/noop/purge-queue")).status).toBe(200);
    expect((await client.post("/v2/noop/purge-queue")).status).toBe(429);
    expect((await client.post("/v2/noop/runsync", { input: {} })).status).toBe(200);
    expect((await client.post("/v2/noop/runsync", { input: {} })).status).toBe(429);
    expect((await client.post("/v2/noop/cancel/x")).status).toBe(404);
    expect((await client.post("/v2/noop/cancel/x")).status).toBe(429);
    for (let i = 0; i < 3; i++) expect((await client.get("/v2/noop/status/x")).status).toBe(404);
    expect((await client.get("/v2/noop/status/x")).status).toBe(429);
    // health and retry have no documented limit.
    for (let i = 0; i < 5; i++) expect((await client.get("/v2/noop/health")).status).toBe(200);
    expect(emulator.counters("noop").rateLimited).toBe(5);

    await sleep(1020);
    expect((await client.post("/v2/noop/run", { input: {} })).status).toBe(200);
  });
});
