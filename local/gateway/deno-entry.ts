// Runs one Edge Function under real Deno the way the Supabase runtime does:
// the function calls Deno.serve(handler) without a port, so bind it to the
// port the gateway chose, then load the function's own index.ts.
const port = Number(Deno.env.get("PGPOD_FUNCTION_PORT"));
const entry = Deno.env.get("PGPOD_FUNCTION_ENTRY");
if (!port || !entry) throw new Error("PGPOD_FUNCTION_PORT and PGPOD_FUNCTION_ENTRY are required");

type Handler = Deno.ServeHandler;
type Options = Deno.ServeTcpOptions & { handler?: Handler };
const serve = Deno.serve.bind(Deno) as (options: Options, handler: Handler) => Deno.HttpServer;

// deno-lint-ignore no-explicit-any
(Deno as any).serve = (first: Handler | Options, second?: Handler) => {
  const options: Options = typeof first === "function" ? {} : first;
  const handler = typeof first === "function" ? first : second ?? options.handler;
  if (!handler) throw new Error("Deno.serve was called without a handler");
  return serve({ ...options, port, hostname: "127.0.0.1", onListen: () => {} }, handler);
};

await import(new URL(entry, "file:///").href);
