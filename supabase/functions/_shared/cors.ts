// CORS for a function that browsers call with supabase-js from another origin.
// The platform leaves preflights to the function, so it answers OPTIONS itself
// and marks every other answer, errors included, as readable by the page.

// What supabase-js puts on functions.invoke: the session and the project key,
// its version, the body's type, the region when one is forced, and trace
// context when trace propagation is on.
const allowedHeaders = "authorization, x-client-info, apikey, content-type, x-region, traceparent, tracestate, baggage";

export const corsHeaders: Readonly<Record<string, string>> = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Headers": allowedHeaders,
  "Access-Control-Allow-Methods": "POST, OPTIONS",
  "Access-Control-Max-Age": "3600",
};

/** Wraps a handler: OPTIONS gets an empty 204 with the CORS headers, every other answer gets them added. */
export function withCors(handler: (req: Request) => Promise<Response>): (req: Request) => Promise<Response> {
  return async (req) => {
    if (req.method === "OPTIONS") {
      await req.body?.cancel();
      return new Response(null, { status: 204, headers: corsHeaders });
    }
    const res = await handler(req);
    const headers = new Headers(res.headers);
    for (const [name, value] of Object.entries(corsHeaders)) headers.set(name, value);
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  };
}
