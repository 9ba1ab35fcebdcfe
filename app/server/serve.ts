// Serves the app and the ops page: Vite's dev server for `npm run app`, or a
// production build behind Vite's preview server for the browser tests.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, createServer, preview, type InlineConfig } from "vite";
import { settingsPlugin, type ProjectEnv } from "./settings.ts";

const configFile = fileURLToPath(new URL("../vite.config.ts", import.meta.url));

export interface Served {
  /** Base URL of the app; the ops page is at `${url}ops.html`. */
  url: string;
  close(): Promise<void>;
}

function common(env: ProjectEnv): InlineConfig {
  return { configFile, plugins: [settingsPlugin(env)], logLevel: "warn" };
}

export async function serveDev(env: ProjectEnv, host: string, port: number): Promise<Served> {
  const server = await createServer({ ...common(env), server: { host, port, strictPort: true } });
  await server.listen();
  return { url: `http://${host}:${port}/`, close: () => server.close() };
}

export async function serveBuilt(env: ProjectEnv, host: string, port: number): Promise<Served> {
  const outDir = mkdtempSync(join(tmpdir(), "pgpod-app-"));
  try {
    await build({ ...common(env), build: { outDir, emptyOutDir: true } });
    const server = await preview({ ...common(env), build: { outDir }, preview: { host, port, strictPort: true } });
    const address = server.httpServer.address();
    const bound = typeof address === "object" && address ? address.port : port;
    return {
      url: `http://${host}:${bound}/`,
      close: async () => {
        await server.close();
        rmSync(outDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(outDir, { recursive: true, force: true });
    throw error;
  }
}
