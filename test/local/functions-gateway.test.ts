import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFunctionsGateway } from "../../local/gateway/functions.ts";
import { createApiServer } from "../../local/stack/api-server.ts";

const fixtures = join(import.meta.dirname, "..", "fixtures", "functions");
const jwtSecret = "gateway-test-secret-with-at-least-32-chars";
let server: Server;
let base: string;
let gateway: ReturnType<typeof createFunctionsGateway>;

const sign = (secret: string, role = "anon") =>
  new SignJWT({ role }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(new TextEncoder().encode(secret));

beforeAll(async () => {
  gateway = createFunctionsGateway({
    functionsDir: fixtures,
    configFile: join(fixtures, "config.toml"),
    jwtSecret,
    env: { SUPABASE_URL: "http://127.0.0.1:1", SUPABASE_DB_URL: "postgresql://x@127.0.0.1:1/postgres" },
    log: () => {},
  });
  server = createApiServer({ "/functions/v1": gateway.handle }, () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await gateway.close();
  await new Promise((resolve) => server.close(resolve));
});

describe("functions gateway", () => {
  it("refuses a function that needs a JWT when none or a forged one is sent", async () => {
    expect((await fetch(`${base}/functions/v1/echo`)).status).toBe(401);
    const forged = await sign("another-secret-that-is-also-32-chars-long");
    const res = await fetch(`${base}/functions/v1/echo`, { headers: { authorization: `Bearer ${forged}` } });
    expect(res.status).toBe(401);
  });

  it("runs the function in Deno with the Supabase env and the functions .env file", async () => {
    const res = await fetch(`${base}/functions/v1/echo/sub?x=1`, {
      method: "POST",
      headers: { authorization: `Bearer ${await sign(jwtSecret)}`, "content-type": "application/json" },
      body: JSON.stringify({ hello: "world" }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      method: "POST",
      path: "/echo/sub",
      search: "?x=1",
      body: '{"hello":"world"}',
      supabaseUrl: "http://127.0.0.1:1",
      hasDbUrl: true,
      fromEnvFile: "loaded",
    });
  });

  it("skips the JWT check where config.toml sets verify_jwt = false, whatever port the function asks for", async () => {
    const res = await fetch(`${base}/functions/v1/open`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-fixture")).toBe("open");
    expect(await res.text()).toBe("open");
  });

  it("answers 404 for unknown and private (_shared) names", async () => {
    expect((await fetch(`${base}/functions/v1/missing`)).status).toBe(404);
    expect((await fetch(`${base}/functions/v1/_shared`)).status).toBe(404);
    expect((await fetch(`${base}/functions/v1/..%2Fecho`)).status).toBe(404);
  });

  it("brings a crashed function back on the next request", async () => {
    const first = await (await fetch(`${base}/functions/v1/crash?exit=1`)).text();
    await new Promise((r) => setTimeout(r, 500));
    const second = await fetch(`${base}/functions/v1/crash`);
    expect(second.status).toBe(200);
    expect(await second.text()).not.toBe(first);
  });

  it("answers 504 when a function sends no response within the idle timeout", async () => {
    const impatient = createFunctionsGateway({
      functionsDir: fixtures, configFile: join(fixtures, "config.toml"), jwtSecret, env: {}, log: () => {}, idleTimeoutMs: 1000,
    });
    const api = createApiServer({ "/functions/v1": impatient.handle }, () => {});
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(api.address() as { port: number }).port}/functions/v1/slow`);
      expect(res.status).toBe(504);
      expect(await res.json()).toMatchObject({ code: "IDLE_TIMEOUT" });
    } finally {
      await impatient.close();
      api.closeAllConnections();
      await new Promise((resolve) => api.close(resolve));
    }
  });

  it("ends a function that goes past 256 MB, and serves the next request from a fresh process", async () => {
    const res = await fetch(`${base}/functions/v1/hog?hog=1`);
    expect(res.status).toBe(502);
    await new Promise((r) => setTimeout(r, 500));
    const after = await fetch(`${base}/functions/v1/hog`);
    expect(after.status).toBe(200);
    expect(await after.text()).toBe("ok");
  }, 60_000);
});
