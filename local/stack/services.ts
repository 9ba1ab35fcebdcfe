// The stack's long-running process: the API port (functions gateway, Data
// API, Auth, Storage and Realtime), the RunPod emulator and the pg_net
// worker. `stack start` runs it detached; SIGTERM stops every part and the Deno children with it.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createAuthHandler, authSettings } from "../auth/server.ts";
import { createFunctionsGateway, type FunctionState } from "../gateway/functions.ts";
import { startNetWorker } from "../net/worker.ts";
import { defaultConfig, startRunpodEmulator } from "../runpod/server.ts";
import { createRealtimeServer, websocketPath } from "../realtime/server.ts";
import { apiSettings, missingBinaryMessage, postgrestBinary, startDataApi, unavailableDataApi } from "../rest/postgrest.ts";
import { projectFileSizeLimit } from "../storage/project-limits.ts";
import { createStorageHandler } from "../storage/server.ts";
import { createApiServer } from "./api-server.ts";
import { recoverFromDriverFault } from "./db-client.ts";
import { repoRoot, resolveConfig, stackEnv } from "./config.ts";

const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

async function main() {
  const config = resolveConfig(process.argv.slice(2));
  const env = await stackEnv(config);
  const storageDir = join(config.stateDir, "storage");
  mkdirSync(storageDir, { recursive: true });

  const configFile = join(repoRoot, "supabase", "config.toml");
  const functions = createFunctionsGateway({
    functionsDir: join(repoRoot, "supabase", "functions"),
    configFile,
    jwtSecret: env.JWT_SECRET,
    log,
    env: {
      SUPABASE_URL: env.SUPABASE_URL,
      SUPABASE_DB_URL: env.SUPABASE_DB_URL,
      SUPABASE_ANON_KEY: env.SUPABASE_ANON_KEY,
      SUPABASE_SERVICE_ROLE_KEY: env.SUPABASE_SERVICE_ROLE_KEY,
      // On a hosted project these are function secrets (`supabase secrets set`).
      RUNPOD_API_KEY: env.RUNPOD_API_KEY,
      PGPOD_DISPATCH_SECRET: env.PGPOD_DISPATCH_SECRET,
      PGPOD_WEBHOOK_SECRET: env.PGPOD_WEBHOOK_SECRET,
      // Output URLs on the stack's own loopback services (Storage, the emulator)
      // are fetched; every other URL must be a public https address.
      PGPOD_FETCH_ALLOWED_ORIGINS: [env.SUPABASE_URL, env.RUNPOD_EMULATOR_URL].map((url) => new URL(url).origin).join(","),
    },
  });
  const storage = createStorageHandler({
    dbUrl: env.SUPABASE_DB_URL,
    jwtSecret: env.JWT_SECRET,
    dataDir: storageDir,
    fileSizeLimit: projectFileSizeLimit(configFile),
    log: (line) => log(`[storage] ${line}`),
  });
  const realtime = await createRealtimeServer({
    dbUrl: env.SUPABASE_DB_URL,
    jwtSecret: env.JWT_SECRET,
    log: (line) => log(`[realtime] ${line}`),
  });
  const postgrest = postgrestBinary();
  if (!postgrest) log(`[rest] ${missingBinaryMessage()}`);
  const authenticatorUrl = new URL(env.SUPABASE_DB_URL);
  authenticatorUrl.username = "authenticator";
  const rest = postgrest
    ? await startDataApi({
      binary: postgrest,
      dbUrl: authenticatorUrl.href,
      jwtSecret: env.JWT_SECRET,
      settings: apiSettings(configFile),
      stateDir: config.stateDir,
      log: (line) => log(`[rest] ${line}`),
    })
    : unavailableDataApi(missingBinaryMessage());
  const auth = createAuthHandler({
    dbUrl: env.SUPABASE_DB_URL,
    jwtSecret: env.JWT_SECRET,
    issuer: `${env.SUPABASE_URL}/auth/v1`,
    settings: authSettings(configFile),
    log: (line) => log(`[auth] ${line}`),
  });
  // Every function is started once below: /health reports how that went (`stack start` waits for it)
  // and how each function is doing now.
  let boot: FunctionState[] | "booting" = "booting";
  const health = async () => ({ boot, functions: functions.status() });
  const api = createApiServer({
    "/functions/v1": functions.handle,
    "/rest/v1": rest.handle,
    "/auth/v1": auth.handle,
    "/storage/v1": storage.handle,
    "/realtime/v1": realtime.handleHttp,
  }, log, health);
  api.on("upgrade", (req, socket, head) => {
    if (req.url?.startsWith(websocketPath)) void realtime.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    api.once("error", reject);
    api.listen(config.apiPort, "127.0.0.1", resolve);
  });
  const runpod = await startRunpodEmulator({
    port: config.runpodPort,
    host: "127.0.0.1",
    apiKey: env.RUNPOD_API_KEY,
    config: defaultConfig(),
    log: (line) => log(`[runpod] ${line}`),
  });
  const net = await startNetWorker({ dbUrl: env.SUPABASE_DB_URL, log: (line) => log(`[pg_net] ${line}`) });
  boot = await functions.boot();
  for (const fn of boot) log(`function ${fn.name}: ${fn.state}`);
  log(`ready: api ${env.SUPABASE_URL}, runpod ${runpod.url}`);

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log("stopping");
    await Promise.allSettled([net.stop(), runpod.close(), functions.close(), storage.close(), realtime.close(), rest.close(), auth.close()]);
    api.closeAllConnections();
    await new Promise((resolve) => api.close(resolve));
    process.exit(code);
  };
  process.on("SIGTERM", () => stop(0));
  process.on("SIGINT", () => stop(0));
  // A Postgres restart sets off a postgres.js defect that throws outside any
  // caller (see db-client.ts): the clients are renewed and every part keeps
  // running. Anything else uncaught stops the parts, Deno children included.
  process.on("uncaughtException", (error) => {
    if (recoverFromDriverFault(error)) {
      log("postgres.js wrote to a connection Postgres had closed; database clients reopened");
      return;
    }
    log(`services failed: ${error.stack ?? error}`);
    void stop(1);
  });
  process.on("unhandledRejection", (reason) => {
    log(`unhandled rejection, services keep running: ${reason instanceof Error ? reason.stack : String(reason)}`);
  });
}

main().catch((error) => {
  log(`services failed to start: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
