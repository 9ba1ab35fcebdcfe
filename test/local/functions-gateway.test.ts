import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFunctionsGateway } from "../../local/gateway/functions.ts";
import { createApiServer } from "../../local/stack/api-server.ts";
import { alive } from "../support/processes.ts";
import { waitFor } from "../support/wait.ts";

const fixtures = join(import.meta.dirname, "..", "fixtures", "functions");
const jwtSecret = "gateway-test-secret-with-at-least-32-chars";
let server: Server;
let base: string;
let gateway: ReturnType<typeof createFunctionsGateway>;
const logged: string[] = [];
/** Every function pid the tests saw, to check that close() leaves none behind. */
const seenPids = new Set<number>();


/** Resolves with the pid a sluggish instance prints once it has printed more of them than `before`. */
async function nextSluggishPid(before: number): Promise<number> {
  const pids = () => logged.filter((l) => /^\[sluggish\] pid \d+$/.test(l)).map((l) => Number(l.split(" ")[2]));
  const pid = await waitFor("a sluggish instance to print its pid", async () => pids()[before]);
  seenPids.add(pid);
  return pid;
}

const sluggishCount = () => logged.filter((l) => l.startsWith("[sluggish] pid ")).length;

async function pidFrom(res: Response): Promise<number> {
  expect(res.status).toBe(200);
  const pid = Number(await res.text());
  seenPids.add(pid);
  return pid;
}

const sign = (secret: string, role = "anon") =>
  new SignJWT({ role }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(new TextEncoder().encode(secret));

beforeAll(async () => {
  gateway = createFunctionsGateway({
    functionsDir: fixtures,
    configFile: join(fixtures, "config.toml"),
    jwtSecret,
    env: { SUPABASE_URL: "http://127.0.0.1:1", SUPABASE_DB_URL: "postgresql://x@127.0.0.1:1/postgres" },
    log: (line) => logged.push(line),
  });
  server = createApiServer({ "/functions/v1": gateway.handle }, () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await gateway.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("functions gateway", () => {
  it("refuses a function that needs a JWT when none or a forged one is sent", async () => {
    expect((await fetch(`${base}/functions/v1/echo`)).status).toBe(401);
    const forged = await sign("another-secret-that-is-also-32-chars-long");
    const res = await fetch(`${base}/functions/v1/echo`, { headers: { authorization: `Bearer ${forged}` } });
    expect(res.status).toBe(401);
  });

  it("passes a CORS preflight, which carries no JWT, to a function that needs one; a POST without one stays refused", async () => {
    const preflight = await fetch(`${base}/functions/v1/echo`, {
      method: "OPTIONS",
      headers: { origin: "http://127.0.0.1:5173", "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
    });
    expect(preflight.status).toBe(200);
    expect((await preflight.json()).method).toBe("OPTIONS");
    const post = await fetch(`${base}/functions/v1/echo`, { method: "POST", headers: { origin: "http://127.0.0.1:5173" }, body: "{}" });
    expect(post.status).toBe(401);
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

  it("passes on the function's own answer to a body it refuses before reading it all (413 to 25 MiB chunked)", async () => {
    const chunk = Buffer.alloc(1024 * 1024, 97);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${base}/functions/v1/limited`, { method: "POST", headers: { "content-type": "application/octet-stream" } }, (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      let sent = 0;
      // No content-length: Node sends the body chunked.
      const more = () => {
        while (sent < 25) {
          sent++;
          if (!req.write(chunk)) return void req.once("drain", more);
        }
        req.end();
      };
      more();
    });
    expect(answer).toEqual({ status: 413, body: JSON.stringify({ error: "body is over the 1048576-byte limit" }) });
    // and a body within its limit still arrives whole
    const small = await fetch(`${base}/functions/v1/limited`, { method: "POST", body: Buffer.alloc(1000) });
    expect(await small.text()).toBe("1000");
  });
});

describe("the gateway owns its function processes", () => {
  it("starts one process for concurrent first requests", async () => {
    const pids = await Promise.all(Array.from({ length: 4 }, () => fetch(`${base}/functions/v1/sluggish`).then(pidFrom)));
    expect(new Set(pids).size).toBe(1);
    expect(sluggishCount()).toBe(1);
  });

  it("answers a request waiting for a start killed midway at once, and starts one fresh process on the next", async () => {
    // The previous test left a listening instance: end it so the next request starts one.
    const before = sluggishCount();
    const running = gateway.status().find((f) => f.name === "sluggish");
    if (running?.state === "running") process.kill(running.pid, "SIGKILL");
    await waitFor("the killed instance to be seen as gone", async () => gateway.status().find((f) => f.name === "sluggish")?.state !== "running");

    const waiting = fetch(`${base}/functions/v1/sluggish`);
    const starting = await nextSluggishPid(before);
    process.kill(starting, "SIGKILL");
    const refused = await waiting;
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ code: "BOOT_ERROR", message: expect.stringContaining("was killed by SIGKILL before listening") });

    const pids = await Promise.all(Array.from({ length: 3 }, () => fetch(`${base}/functions/v1/sluggish`).then(pidFrom)));
    expect(new Set(pids).size).toBe(1);
    expect(pids[0]).not.toBe(starting);
    expect(sluggishCount()).toBe(before + 2);
    expect(gateway.status().find((f) => f.name === "sluggish")).toMatchObject({ state: "running", pid: pids[0] });
  });

  it("answers 502 when the function dies during a request, and serves the next one from a fresh process", async () => {
    const pid = await fetch(`${base}/functions/v1/sluggish`).then(pidFrom);
    const held = fetch(`${base}/functions/v1/sluggish?hold=1`);
    await new Promise((r) => setTimeout(r, 200));
    process.kill(pid, "SIGKILL");
    const res = await held;
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ code: "FUNCTION_ERROR" });
    const next = await fetch(`${base}/functions/v1/sluggish`).then(pidFrom);
    expect(next).not.toBe(pid);
  });

  it("leaves no function process behind after close", async () => {
    const own = createFunctionsGateway({ functionsDir: fixtures, configFile: join(fixtures, "config.toml"), jwtSecret, env: {}, log: (l) => logged.push(l) });
    const api = createApiServer({ "/functions/v1": own.handle }, () => {});
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(api.address() as { port: number }).port}/functions/v1`;
    const pids = [await fetch(`${url}/crash`).then(pidFrom)];
    // one instance listening, one still starting when close() is called
    const before = sluggishCount();
    void fetch(`${url}/sluggish`).catch(() => undefined);
    pids.push(await nextSluggishPid(before));
    await own.close();
    api.closeAllConnections();
    await new Promise((resolve) => api.close(resolve));
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });
});

describe("boot", () => {
  const dir = mkdtempSync(join(tmpdir(), "pgpod-boot-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("starts every function once and reports the one that cannot start with its own output", async () => {
    for (const [name, source] of [
      ["fine", "Deno.serve(() => new Response('fine'));\n"],
      ["broken", "console.error('cannot find SOME_SETTING');\nthrow new Error('broken on purpose');\n"],
    ]) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, "index.ts"), source);
    }
    const booting = createFunctionsGateway({ functionsDir: dir, configFile: join(dir, "config.toml"), jwtSecret, env: {}, log: () => {} });
    try {
      const states = await booting.boot();
      expect(states.map((s) => [s.name, s.state])).toEqual([["broken", "failed"], ["fine", "running"]]);
      const broken = states[0] as { error: string };
      expect(broken.error).toContain("exited with code 1 before listening");
      expect(broken.error).toContain("cannot find SOME_SETTING");
      expect(broken.error).toContain("broken on purpose");
    } finally {
      await booting.close();
    }
  });
});

