import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { deepMerge, defaultConfig, type EmulatorConfig } from "./config.ts";
import { onStopSignal } from "../stop-signals.ts";
import { startRunpodEmulator } from "./server.ts";

const usage = `usage: npm run runpod-emulator -- [--port 54331] [--host 127.0.0.1] [--config file.json] [--api-key KEY]
  --config   JSON merged over the demo configuration (endpoints, webhook, retention, rateLimits, ...);
             relative handler module paths are resolved from the file's directory
  --api-key  defaults to $RUNPOD_API_KEY`;

/** Runs the emulator in the foreground until SIGINT or SIGTERM. */
export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: "string", default: "54331" },
      host: { type: "string", default: "127.0.0.1" },
      config: { type: "string" },
      "api-key": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const apiKey = values["api-key"] ?? process.env.RUNPOD_API_KEY;
  if (!apiKey) throw new Error(`the RunPod emulator needs an API key: pass --api-key or set RUNPOD_API_KEY\n${usage}`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, got "${values.port}"`);

  let config = defaultConfig();
  let handlerBaseDir = process.cwd();
  if (values.config) {
    const file = resolve(values.config);
    config = deepMerge(config, JSON.parse(readFileSync(file, "utf8")) as EmulatorConfig);
    handlerBaseDir = dirname(file);
  }

  const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
  const emulator = await startRunpodEmulator({ port, host: values.host, apiKey, config, handlerBaseDir, log });
  log(`RunPod emulator at ${emulator.url}/v2/{endpointId}, endpoints: ${Object.keys(emulator.state().endpoints as object).join(", ")}`);

  // Runs until asked to stop, then ends the process with 0.
  await new Promise<never>(() => {
    onStopSignal(async (signal) => {
      log(`${signal}: stopping`);
      await emulator.close();
    }, 0);
  });
}
