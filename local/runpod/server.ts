import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { defaultConfig, resolveConfig, type EmulatorConfig } from "./config.ts";
import { handleControl } from "./control.ts";
import { Emulator, type EmulatorControl } from "./emulator.ts";
import { isAuthorized, sendJson } from "./http.ts";
import { handleApi } from "./routes.ts";

export type { EmulatorConfig } from "./config.ts";
export { defaultConfig } from "./config.ts";

export interface RunpodEmulatorOptions {
  port: number;
  host?: string;
  apiKey: string;
  /** Defaults to defaultConfig(). */
  config?: EmulatorConfig;
  /** Directory that relative handler module paths are resolved from; defaults to the working directory. */
  handlerBaseDir?: string;
  log?: (line: string) => void;
}

export interface RunpodEmulator extends EmulatorControl {
  /** e.g. http://127.0.0.1:54331; the API is at `${url}/v2/{endpointId}/...`. */
  url: string;
  /** Stops timers, running handlers, webhook deliveries and sockets. */
  close(): Promise<void>;
}

export async function startRunpodEmulator(opts: RunpodEmulatorOptions): Promise<RunpodEmulator> {
  const log = opts.log ?? (() => {});
  const emulator = await Emulator.create(resolveConfig(opts.config ?? defaultConfig()), opts.handlerBaseDir ?? process.cwd(), log);
  const host = opts.host ?? "127.0.0.1";

  const server = createServer((req, res) => {
    const startedAt = Date.now();
    res.on("close", () => log(`${req.method} ${(req.url ?? "").split("?")[0]} ${res.headersSent ? res.statusCode : "closed"} ${Date.now() - startedAt}ms`));
    serve(emulator, opts.apiKey, req, res).catch((err: unknown) => {
      log(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      sendJson(res, 500, { error: "internal emulator error" });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      emulator.close();
      server.close(() => resolve());
      server.closeAllConnections();
    }));

  return {
    url,
    close,
    faults: (endpointId) => emulator.faults(endpointId),
    setFaults: (endpointId, patch) => emulator.setFaults(endpointId, patch),
    counters: (endpointId) => emulator.counters(endpointId),
    allCounters: () => emulator.allCounters(),
    settings: () => emulator.settings(),
    updateSettings: (patch) => emulator.updateSettings(patch),
    reset: (endpointId) => emulator.reset(endpointId),
    state: () => emulator.state(),
  };
}

async function serve(emulator: Emulator, apiKey: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://emulator");
  const [root, ...parts] = url.pathname.split("/").filter(Boolean);
  if (!isAuthorized(req, apiKey)) return sendJson(res, 401, { error: "Unauthorized" });
  if (root === "v2") return handleApi(emulator, req, res, parts, url);
  if (root === "_emulator") return handleControl(emulator, req, res, parts);
  sendJson(res, 404, { error: `no route ${url.pathname}` });
}
