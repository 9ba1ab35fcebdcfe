// The README's examples run as written: every ```sql and ```sh block, in README
// order, against a stack of its own started with `npm run stack -- start` (sql
// in psql as the postgres superuser, as in the SQL editor), and
// every ```ts block type-checks. test/docs/readme-blocks.ts has the convention
// (markers for hosted-only blocks); examples that need a real RunPod use the
// stack's emulator, as the README says to do locally.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../local/stack/ports.ts";
import { waitFor } from "../support/wait.ts";
import { classify, codeBlocks, type ClassifiedBlock } from "./readme-blocks.ts";
import { typecheckBlocks } from "./typecheck-blocks.ts";

const repoRoot = join(import.meta.dirname, "..", "..");
const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
const blocks = codeBlocks(readme).map(classify);
const stateDir = mkdtempSync(join(tmpdir(), "pgpod-docs-"));
let dbUrl = "";

// The blocks see only the docs stack: whatever stack the test itself runs
// against (npm test exports its variables) is removed from their environment.
function blockEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(SUPABASE_|PGPOD_|RUNPOD_|JWT_SECRET$|VITEST)/.test(key)) env[key] = value;
  }
  return { ...env, PGPOD_STATE_DIR: stateDir };
}

function stackCli(...args: string[]) {
  const result = spawnSync(process.execPath, [join(repoRoot, "local", "bin", "run.mjs"), "stack", ...args], {
    encoding: "utf8",
    env: blockEnv(),
  });
  return { code: result.status, out: result.stdout + result.stderr };
}

// Each block runs in a process group of its own, ended when the block is done,
// so a server an example starts in the background does not outlive it.
function runBlock(command: string, args: string[], input = ""): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: repoRoot, env: blockEnv(), detached: true, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.stderr.on("data", (chunk) => (out += chunk));
    // What is left in the group may hold the output pipes open: end it on exit.
    child.on("exit", () => {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        /* nothing left in the group */
      }
    });
    child.on("close", (code) => resolve({ code, out }));
    child.stdin.end(input);
  });
}

const title = (block: ClassifiedBlock) => `README line ${block.line} (${block.section}, ${block.lang})`;

beforeAll(async () => {
  const ports = [await freePort(), await freePort(), await freePort()];
  const start = stackCli("start", "--state-dir", stateDir, "--db-port", String(ports[0]), "--api-port", String(ports[1]), "--runpod-port", String(ports[2]));
  if (start.code !== 0) throw new Error(`npm run stack -- start failed:\n${start.out}`);
  dbUrl = `postgresql://postgres:postgres@127.0.0.1:${ports[0]}/postgres`;
}, 120_000);

afterAll(() => {
  stackCli("stop", "--state-dir", stateDir);
  rmSync(stateDir, { recursive: true, force: true });
}, 60_000);

describe("README examples", () => {
  for (const block of blocks) {
    if (block.kind === "run") {
      it(`${title(block)} runs as written`, async () => {
        const { code, out } =
          block.lang === "sql"
            ? await runBlock("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", dbUrl], block.code)
            : await runBlock("bash", ["--noprofile", "--norc", "-e", "-o", "pipefail", "-c", block.code]);
        expect(code, `${title(block)} failed:\n${block.code}\n--- output ---\n${out}`).toBe(0);
      }, 120_000);
    } else if (block.kind === "hosted" || block.kind === "own-stack") {
      it.skip(`${title(block)} is not run here: ${block.reason}`, () => {});
    }
  }

  it("the sdxl job the SQL API submits succeeds on the stack's emulator", async () => {
    const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
    try {
      const status = await waitFor("the order-42 job to end", async () => {
        const [job] = await sql`select status from pgpod.jobs where endpoint = 'sdxl' and idempotency_key = 'order-42'`;
        return job && ["succeeded", "failed", "cancelled"].includes(job.status) && job.status;
      }, 30_000, 250);
      expect(status).toBe("succeeded");
    } finally {
      await sql.end();
    }
  });

  it("every ```ts block type-checks", () => {
    expect(typecheckBlocks(blocks.filter((block) => block.kind === "typecheck"))).toEqual([]);
  }, 60_000);

  it("states the Node versions package.json supports", () => {
    const engines = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).engines.node as string;
    const minimum = /^>=(\d+\.\d+)$/.exec(engines)?.[1];
    expect(minimum, `package.json engines.node is "${engines}"`).toBeTruthy();
    expect(readme).toContain(`Node.js ${minimum} or newer`);
  });
});
