// A pass-through between pgpod and the RunPod emulator that notes when each
// run's /run call and webhook arrive. It rewrites the webhook URL of every
// /run body to come back through here, then forwards both requests unchanged
// in substance. The HTTP section uses it, to time "/run received" and "webhook
// received" without touching the functions.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

export interface RunpodRelay {
  /** Base to put in pgpod.endpoints.api_base (ends in /v2). */
  apiBase: string;
  /** Milliseconds since the epoch, per pgpod run id. */
  runReceivedAt: Map<string, number>;
  webhookReceivedAt: Map<string, number>;
  close(): Promise<void>;
}

/** Every body on this path is JSON text. */
async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function forward(res: ServerResponse, url: string, req: IncomingMessage, body: string) {
  const headers: Record<string, string> = {};
  for (const name of ["authorization", "content-type"]) {
    const value = req.headers[name];
    if (typeof value === "string") headers[name] = value;
  }
  const reply = await fetch(url, { method: req.method, headers, body: req.method === "GET" ? undefined : body });
  const bytes = Buffer.from(await reply.arrayBuffer());
  res.writeHead(reply.status, { "content-type": reply.headers.get("content-type") ?? "application/json" }).end(bytes);
}

const runIdOf = (webhook: string) => new URL(webhook).searchParams.get("run") ?? "";

export async function startRunpodRelay(emulatorUrl: string): Promise<RunpodRelay> {
  const runReceivedAt = new Map<string, number>();
  const webhookReceivedAt = new Map<string, number>();
  let self = "";
  const server = createServer(async (req, res) => {
    const arrived = Date.now();
    try {
      const url = new URL(req.url ?? "/", self);
      const body = await readBody(req);
      if (url.pathname === "/webhook") {
        const target = url.searchParams.get("to") ?? "";
        webhookReceivedAt.set(runIdOf(target), arrived);
        return await forward(res, target, req, body);
      }
      if (req.method === "POST" && url.pathname.endsWith("/run")) {
        const request = JSON.parse(body);
        if (typeof request.webhook === "string") {
          runReceivedAt.set(runIdOf(request.webhook), arrived);
          request.webhook = `${self}/webhook?to=${encodeURIComponent(request.webhook)}`;
        }
        return await forward(res, `${emulatorUrl}${url.pathname}`, req, JSON.stringify(request));
      }
      await forward(res, `${emulatorUrl}${url.pathname}${url.search}`, req, body);
    } catch (error) {
      if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: `bench relay: ${(error as Error).message}` }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  self = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    apiBase: `${self}/v2`,
    runReceivedAt,
    webhookReceivedAt,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
