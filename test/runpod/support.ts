// Helpers for the RunPod emulator contract tests: an in-process emulator on
// an ephemeral port with fast timings, a JSON client, and a webhook receiver.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach } from "vitest";
import type { EmulatorConfig } from "../../local/runpod/config.ts";
import { deepMerge } from "../../local/runpod/config.ts";
import { startRunpodEmulator, type RunpodEmulator } from "../../local/runpod/server.ts";

export const apiKey = "test-key";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/**
 * Settings that keep tests fast; the cloud's values are the defaults in
 * config.ts. The webhook timeout stays at its default so that a loaded
 * machine does not turn a slow first answer into a retry; tests of the
 * timeout set their own.
 */
export const fastSettings = {
  webhook: { retryDelayMs: 60 },
  policy: { minExecutionTimeoutMs: 0, minTtlMs: 0 },
  runsyncWait: { minMs: 0 },
} satisfies EmulatorConfig;

export const fastEndpoint = (handler: string, extra: Record<string, unknown> = {}) => ({
  handler,
  workers: 2,
  coldStartMs: 20,
  idleTimeoutMs: 1000,
  ...extra,
});

export interface Started {
  emulator: RunpodEmulator;
  client: Client;
  logs: string[];
}

/** Starts an emulator with the given endpoints (default: one per demo worker) over fastSettings; stopped after each test. */
export async function startEmulator(config: EmulatorConfig = {}): Promise<Started> {
  const base: EmulatorConfig = {
    ...fastSettings,
    endpoints: Object.fromEntries(["image", "transcribe", "upload", "flaky", "sleep", "noop"].map((name) => [name, fastEndpoint(name)])),
  };
  const logs: string[] = [];
  const merged = config.endpoints ? deepMerge({ ...base, endpoints: {} }, config) : deepMerge(base, config);
  const emulator = await startRunpodEmulator({ port: 0, apiKey, config: merged, log: (line) => logs.push(line) });
  cleanups.push(() => emulator.close());
  return { emulator, client: new Client(emulator.url), logs };
}

export interface Reply<T = any> {
  status: number;
  body: T;
}

export class Client {
  constructor(
    readonly url: string,
    private readonly authorization = `Bearer ${apiKey}`,
  ) {}

  withAuthorization(authorization: string): Client {
    return new Client(this.url, authorization);
  }

  get(path: string): Promise<Reply> {
    return this.request("GET", path);
  }

  post(path: string, body?: unknown): Promise<Reply> {
    return this.request("POST", path, body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body));
  }

  async request(method: string, path: string, body?: string): Promise<Reply> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: this.authorization, "content-type": "application/json" },
      body,
    });
    const text = await res.text();
    return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
  }

  /** POST /run and return the job id. */
  async run(endpoint: string, body: Record<string, unknown>): Promise<string> {
    const reply = await this.post(`/v2/${endpoint}/run`, body);
    if (reply.status !== 200) throw new Error(`/run answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    return reply.body.id;
  }

  /** Polls /status until the job has one of the statuses (or 404 when status is 404). */
  async waitForStatus(endpoint: string, id: string, statuses: Array<string | 404>, timeoutMs = 5000): Promise<Reply> {
    return waitFor(async () => {
      const reply = await this.get(`/v2/${endpoint}/status/${id}`);
      const matches = reply.status === 404 ? statuses.includes(404) : statuses.includes(reply.body.status);
      return matches ? reply : undefined;
    }, timeoutMs);
  }
}

/** Polls fn every 10 ms until it returns something other than undefined/false. */
export async function waitFor<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Received {
  at: number;
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: any;
  raw: Buffer;
}

/** Decides the answer to one received request: a status, optionally after a delay or once `until` settles. */
export type Responder = (request: Received, index: number) => { status: number; delayMs?: number; until?: Promise<unknown> };

/** A local HTTP server that records every request (a webhook receiver or a Storage stand-in). */
export async function startReceiver(responder: Responder = () => ({ status: 200 })) {
  const received: Received[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const isJson = (req.headers["content-type"] ?? "").includes("json");
      const request: Received = { at: Date.now(), method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: isJson ? JSON.parse(raw.toString()) : undefined, raw };
      received.push(request);
      const { status, delayMs = 0, until } = responder(request, received.length - 1);
      void Promise.resolve(until).then(() => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          res.writeHead(status, { "content-type": "application/json" }).end("{}");
        }, delayMs);
        timers.add(timer);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { url, received };
}
