// The README's SDK examples run as written: "Using it from a client" opens
// with them, and a user signed up through Auth runs each against the stack.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { beforeAll, expect, it } from "vitest";
import * as sdk from "@pgpod/client";
import { codeBlocks } from "../docs/readme-blocks.ts";
import { env, signUp, sql, waitFor, type TestUser } from "./harness.ts";

const readme = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8");
const sdkBlocks = codeBlocks(readme).filter((b) => b.lang === "ts" && b.section === "Using it from a client");

/** Runs a README block as the body of an async function that sees only `names`, with its imports of @pgpod/client. */
async function run(code: string, names: Record<string, unknown>): Promise<void> {
  const js = ts.transpileModule(code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS } }).outputText;
  const require = (name: string) => {
    if (name !== "@pgpod/client") throw new Error(`the README block imports ${name}`);
    return sdk;
  };
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<unknown>;
  await new AsyncFunction("require", "exports", ...Object.keys(names), js)(require, {}, ...Object.values(names));
}

let user: TestUser;
beforeAll(async () => {
  // The README's endpoint, on the stack's emulator as its local-setup step does.
  await sql`
    insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, max_in_flight, max_attempts, execution_timeout_ms, input_schema)
    values ('sdxl', 'image', ${`${env.RUNPOD_EMULATOR_URL}/v2`}, 20, 3, 300000, '{"required": ["prompt"]}')
    on conflict (name) do nothing`;
  user = await signUp();
});

it("opens with two SDK blocks", () => {
  expect(sdkBlocks).toHaveLength(2);
  for (const block of sdkBlocks) expect(block.code).toContain('from "@pgpod/client"');
});

it("submits, waits and gets a URL that downloads the image, then watches, lists and cancels", async () => {
  const shown: unknown[] = [];
  const logged: unknown[][] = [];
  const console = { log: (...args: unknown[]) => logged.push(args) };
  await run(sdkBlocks[0].code, { supabase: user.supabase, showResult: (value: unknown) => shown.push(value), console });
  expect(shown).toHaveLength(1);
  const res = await fetch(String(shown[0]));
  expect(res.status).toBe(200);
  expect(Buffer.from(await res.arrayBuffer()).subarray(1, 4).toString()).toBe("PNG");
  expect(logged).toEqual([]);

  await run(sdkBlocks[1].code, { supabase: user.supabase, console });
  // the only job is the finished one: cancel left it as it was, and the watch is stopped
  const [job] = await sql`select status from pgpod.jobs where owner_id = ${user.id}`;
  expect(job.status).toBe("succeeded");
  await waitFor("the watch's channel to go", async () => user.supabase.getChannels().length === 0);
  expect(logged).toEqual([]);
});
