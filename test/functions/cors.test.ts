import { describe, expect, it } from "vitest";
import { corsHeaders, withCors } from "../../supabase/functions/_shared/cors.ts";
import { json } from "../../supabase/functions/_shared/http.ts";

const origin = "http://127.0.0.1:5173";

describe("withCors", () => {
  it("answers a preflight itself, allowing every header supabase-js sends to a function", async () => {
    let called = false;
    const handler = withCors(async () => {
      called = true;
      return json(200, {});
    });
    const res = await handler(new Request("http://fn/", {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,x-client-info,apikey,content-type,x-region" },
    }));
    expect(called).toBe(false);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    const allowed = res.headers.get("access-control-allow-headers")!.split(",").map((h) => h.trim());
    expect(allowed).toEqual(expect.arrayContaining(["authorization", "x-client-info", "apikey", "content-type", "x-region"]));
  });

  it("adds the headers to the handler's answers, errors included, and keeps status, body and own headers", async () => {
    const handler = withCors(async (req) => (req.method === "POST" ? json(201, { ok: true }) : json(405, { error: "use POST" })));
    const made = await handler(new Request("http://fn/", { method: "POST", headers: { origin }, body: "{}" }));
    expect(made.status).toBe(201);
    expect(made.headers.get("content-type")).toBe("application/json");
    expect(await made.json()).toEqual({ ok: true });
    const refused = await handler(new Request("http://fn/", { headers: { origin } }));
    expect(refused.status).toBe(405);
    expect(await refused.json()).toEqual({ error: "use POST" });
    for (const res of [made, refused]) {
      for (const [name, value] of Object.entries(corsHeaders)) expect(res.headers.get(name)).toBe(value);
    }
  });
});
