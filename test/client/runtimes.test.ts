// The built package as it ships (client/tsconfig.build.json), outside the
// repo's TypeScript tooling: plain Node (with ws, as Node 20 needs) and Deno
// (its own WebSocket) each sign a user up and submit, watch, cancel and wait.
// The built JavaScript imports nothing but its own files, so a browser loads it as is.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueName } from "../functions/harness.ts";
import { env, idleEndpoint, sql } from "./harness.ts";

const root = join(import.meta.dirname, "..", "..");
const outDir = mkdtempSync(join(tmpdir(), "pgpod-client-dist-"));
const entry = join(outDir, "client", "src", "index.js");
const check = join(import.meta.dirname, "fixtures", "runtime-check.mjs");
let endpoint: string;

beforeAll(async () => {
  const built = spawnSync(join(root, "node_modules", ".bin", "tsc"), ["-p", "client/tsconfig.build.json", "--outDir", outDir], { cwd: root, encoding: "utf8" });
  if (built.status !== 0) throw new Error(`the client build failed:\n${built.stdout}${built.stderr}`);
  endpoint = await idleEndpoint(uniqueName("rt"));
}, 120_000);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

function runCheck(command: string, args: string[]): { userId: string; outcome: string; nativeWebSocket: boolean; seen: string[] } {
  const result = spawnSync(command, [...args, check], {
    cwd: root,
    encoding: "utf8",
    timeout: 90_000,
    env: { ...process.env, PGPOD_CLIENT_DIST: entry, ENDPOINT: endpoint, SUPABASE_URL: env.SUPABASE_URL, SUPABASE_ANON_KEY: env.SUPABASE_ANON_KEY },
  });
  const line = result.stdout.trim().split("\n").at(-1) ?? "";
  if (result.status !== 0 || !line.startsWith("{")) throw new Error(`${command} failed (${result.status}):\n${result.stdout}${result.stderr}`);
  return JSON.parse(line);
}

describe("the built @pgpod/client", () => {
  it("imports only its own files", () => {
    const files = readdirSync(join(outDir, "client", "src")).filter((f) => f.endsWith(".js"));
    expect(files).toContain("index.js");
    for (const file of files) {
      const specifiers = [...readFileSync(join(outDir, "client", "src", file), "utf8").matchAll(/\bfrom\s+"([^"]+)"/g)].map((m) => m[1]);
      expect(specifiers.filter((s) => !s.startsWith("./")), file).toEqual([]);
    }
  });

  it.each([
    ["Node", process.execPath, [], false],
    ["Deno", join(root, "node_modules", ".bin", "deno"), ["run", "--allow-env", "--allow-net", "--allow-read"], true],
  ] as const)("works in %s", async (_name, command, args, native) => {
    const result = runCheck(command, [...args]);
    expect(result).toEqual({ userId: expect.any(String), outcome: "cancelled", nativeWebSocket: native, seen: ["queued", "cancelled"] });
    const [job] = await sql`select status from pgpod.jobs where owner_id = ${result.userId}`;
    expect(job.status).toBe("cancelled");
    await sql`delete from auth.users where id = ${result.userId}`;
  }, 120_000);
});
