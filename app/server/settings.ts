// The pages' settings, answered by the server that serves them: the project
// URL and anon key for the app, and for the ops page a short-lived JWT for the
// pgpod_ops role, minted here with the local stack's JWT secret. The service
// key never leaves this process.
import type { IncomingMessage, ServerResponse } from "node:http";
import { SignJWT } from "jose";
import type { Plugin } from "vite";
import type { StackEnv } from "../../local/stack/config.ts";

export type ProjectEnv = Pick<StackEnv, "SUPABASE_URL" | "SUPABASE_ANON_KEY" | "JWT_SECRET">;

export const opsRole = "pgpod_ops";
const opsTokenLifetimeS = 8 * 3600;

export async function mintOpsToken(jwtSecret: string, now = new Date()): Promise<{ token: string; expiresAt: Date }> {
  const issuedAt = Math.floor(now.getTime() / 1000);
  const expiresAt = new Date((issuedAt + opsTokenLifetimeS) * 1000);
  const token = await new SignJWT({ role: opsRole })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("pgpod-local-ops")
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .sign(new TextEncoder().encode(jwtSecret));
  return { token, expiresAt };
}

async function settingsFor(path: string, env: ProjectEnv): Promise<object | undefined> {
  const app = { supabaseUrl: env.SUPABASE_URL, anonKey: env.SUPABASE_ANON_KEY };
  if (path === "/pgpod-config.json") return app;
  if (path !== "/pgpod-ops-config.json") return undefined;
  const { token, expiresAt } = await mintOpsToken(env.JWT_SECRET);
  return { ...app, opsToken: token, opsTokenExpiresAt: expiresAt.toISOString() };
}

/** Serves /pgpod-config.json and /pgpod-ops-config.json from Vite's dev and preview servers. */
export function settingsPlugin(env: ProjectEnv): Plugin {
  const middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    settingsFor(path, env).then(
      (settings) => {
        if (!settings) return next();
        res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-store" });
        res.end(JSON.stringify(settings));
      },
      (error: Error) => {
        res.writeHead(500, { "Content-Type": "text/plain" });
        res.end(`could not make the page's settings: ${error.message}`);
      },
    );
  };
  return {
    name: "pgpod-settings",
    configureServer: (server) => void server.middlewares.use(middleware),
    configurePreviewServer: (server) => void server.middlewares.use(middleware),
  };
}
