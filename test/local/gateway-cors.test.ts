// A browser app on another origin reaches Auth, Storage and the Data API:
// preflights are answered and responses carry Access-Control-Allow-Origin,
// once (PostgREST adds its own for /rest/v1).
import { describe, expect, it } from "vitest";
import { stack } from "../support/stack.ts";

const env = stack();
const origin = "http://127.0.0.1:5173";

async function preflight(path: string, method: string, headers: string) {
  return fetch(`${env.SUPABASE_URL}${path}`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": method, "access-control-request-headers": headers },
  });
}

describe("CORS on the API port", () => {
  it("answers Auth and Storage preflights with the requested headers allowed", async () => {
    for (const [path, method] of [["/auth/v1/signup", "POST"], ["/storage/v1/object/sign/b/k.png", "POST"]]) {
      const res = await preflight(path, method, "apikey,authorization,content-type,x-client-info");
      expect(res.status, path).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(res.headers.get("access-control-allow-methods")).toContain(method);
      expect(res.headers.get("access-control-allow-headers")).toBe("apikey,authorization,content-type,x-client-info");
    }
  });

  it("marks the services' answers, errors included, as readable from any origin", async () => {
    const auth = await fetch(`${env.SUPABASE_URL}/auth/v1/settings`, { headers: { origin, apikey: env.SUPABASE_ANON_KEY } });
    expect(auth.headers.get("access-control-allow-origin")).toBe("*");
    const refused = await fetch(`${env.SUPABASE_URL}/storage/v1/object/authenticated/nowhere/x.png`, { headers: { origin } });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("leaves the Data API's CORS to PostgREST, with one Allow-Origin header", async () => {
    const res = await preflight("/rest/v1/rpc/submit", "POST", "apikey,authorization,content-type");
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("answers a plain OPTIONS request (no preflight) through the service", async () => {
    const res = await fetch(`${env.SUPABASE_URL}/auth/v1/settings`, { method: "OPTIONS", headers: { origin } });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toBeNull();
  });
});
