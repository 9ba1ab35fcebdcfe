// Browser apps call the API port from another origin. Supabase's gateway
// answers CORS for Auth and Storage; PostgREST answers it for the Data API,
// and Edge Functions answer their own preflights, so those are left alone.
import type { IncomingMessage, ServerResponse } from "node:http";

export const gatewayCorsPrefixes = ["/auth/v1", "/storage/v1"];

// What storage-js and auth-js read from responses.
const exposedHeaders = "Content-Length, Content-Range, Content-Type, ETag, Last-Modified, X-Total-Count";

/** Adds the CORS headers; answers a preflight and returns true, otherwise lets the service answer. */
export function applyGatewayCors(req: IncomingMessage, res: ServerResponse): boolean {
  res.setHeader("Access-Control-Allow-Origin", "*");
  res.setHeader("Access-Control-Expose-Headers", exposedHeaders);
  if (req.method !== "OPTIONS" || !req.headers["access-control-request-method"]) return false;
  res.writeHead(200, {
    "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": req.headers["access-control-request-headers"] ?? "authorization, apikey, content-type, x-client-info",
    "Access-Control-Max-Age": "3600",
    "Content-Length": "0",
  });
  res.end();
  return true;
}
