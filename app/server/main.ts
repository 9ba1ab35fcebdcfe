// `npm run app [-- --port N --state-dir DIR ...]`: the reference app and the
// ops page on Vite's dev server, against the local stack in DIR (started here
// when it is not running, and then stopped again on Ctrl-C).
import { resolveConfig, stackEnv } from "../../local/stack/config.ts";
import { clusterRunning } from "../../local/stack/postgres.ts";
import * as stack from "../../local/stack/stack.ts";
import { serveDev } from "./serve.ts";
import { appUrls, defaultAppPort } from "./urls.ts";

const host = "127.0.0.1";

function portFlag(args: string[]): number {
  const at = args.findIndex((a) => a === "--port" || a.startsWith("--port="));
  if (at < 0) return defaultAppPort;
  const value = args[at].includes("=") ? args[at].slice("--port=".length) : args[at + 1];
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port must be a TCP port (1-65535), got "${value}"`);
  return port;
}

export async function main(args: string[]): Promise<number> {
  const port = portFlag(args);
  const config = resolveConfig(args);
  const startedHere = !clusterRunning(config);
  await stack.start(config);
  const served = await serveDev(await stackEnv(config), host, port);
  const urls = appUrls(served.url);
  process.stdout.write(`\nweb app:  ${urls.app}\nops page: ${urls.ops}\n\nCtrl-C stops ${startedHere ? "them and the stack" : "them (the stack keeps running)"}\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await served.close();
  if (startedHere) await stack.stop(config);
  return 0;
}
