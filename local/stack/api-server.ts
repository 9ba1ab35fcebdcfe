// The stack's API port, laid out like Supabase's gateway: Edge Functions at
// /functions/v1, the Data API at /rest/v1, Auth at /auth/v1 and Storage at
// /storage/v1.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { applyGatewayCors, gatewayCorsPrefixes } from "./cors.ts";

export type Mount = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;

/** Extra fields for GET /health, such as the state of each function. */
export type HealthReport = () => Promise<Record<string, unknown>>;

export function createApiServer(mounts: Record<string, Mount>, log: (line: string) => void, health?: HealthReport): Server {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  return createServer(async (req, res) => {
    const url = req.url ?? "/";
    const started = Date.now();
    // Query strings carry signed-URL tokens and webhook signatures: never logged.
    res.once("finish", () => log(`${req.method} ${url.split("?")[0]} ${res.statusCode} ${Date.now() - started}ms`));
    if (url === "/health") {
      const report = { status: "ok", ...(await health?.()) };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(report));
      return;
    }
    const prefix = prefixes.find((p) => url === p || url.startsWith(`${p}/`) || url.startsWith(`${p}?`));
    if (!prefix) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: `no local service at ${url.split("?")[0]}` }));
      return;
    }
    if (gatewayCorsPrefixes.includes(prefix) && applyGatewayCors(req, res)) return;
    try {
      await mounts[prefix](req, res, url.slice(prefix.length) || "/");
    } catch (error) {
      log(`${req.method} ${url.split("?")[0]} failed: ${(error as Error).stack ?? error}`);
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: "internal error in the local stack" }));
    }
  });
}
