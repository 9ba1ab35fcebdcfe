// The README's client examples run as written on the stack: a user signed up
// through Auth submits with the Data API block, both Realtime blocks
// (Broadcast and Postgres Changes) watch that job until it succeeds, and the
// files block makes a signed URL for its output with the user's session.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { afterAll, expect, it } from "vitest";
import { codeBlocks } from "../docs/readme-blocks.ts";
import { signedUpUser } from "../support/clients.ts";
import { env, sql, waitFor } from "./harness.ts";

const readme = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8");
const clientBlocks = codeBlocks(readme).filter((b) => b.lang === "ts" && b.section === "Without the SDK");
const submitBlock = clientBlocks.find((b) => b.code.includes('.from("jobs")') && b.code.includes(".insert("));
const watchBlocks = clientBlocks.filter((b) => b.code.includes(".channel("));
const filesBlock = clientBlocks.find((b) => b.code.includes("createSignedUrl("));

/** Runs a README block as the body of an async function that sees only `names`. */
async function run(code: string, names: Record<string, unknown>, epilogue = ""): Promise<unknown> {
  const js = ts.transpileModule(`${code}\n${epilogue}`, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<unknown>;
  return new AsyncFunction(...Object.keys(names), js)(...Object.values(names));
}

// Only this file's user's jobs: the SDK's README test submits the same prompt.
let owner: string | undefined;
afterAll(async () => {
  if (owner) await sql`delete from pgpod.jobs where owner_id = ${owner}`;
});

it("has one submit block, two Realtime blocks and a files block in Using it from a client, without the SDK", () => {
  expect(submitBlock).toBeDefined();
  expect(watchBlocks).toHaveLength(2);
  expect(filesBlock).toBeDefined();
});

it("submits with the README's insert and watches the job with both Realtime examples until it succeeds", async () => {
  // The README's endpoint, on the stack's emulator as its local-setup step does.
  await sql`
    insert into pgpod.endpoints (name, runpod_endpoint_id, api_base, max_in_flight, max_attempts, execution_timeout_ms, input_schema)
    values ('sdxl', 'image', ${`${env.RUNPOD_EMULATOR_URL}/v2`}, 20, 3, 300000, '{"required": ["prompt"]}')
    on conflict (name) do nothing`;
  const { client: supabase, id } = await signedUpUser("readme");
  owner = id;
  const user = (await supabase.auth.getUser()).data.user;
  expect(user?.id).toBe(id);

  const results: Array<{ id: string; status: string }> = [];
  const logged: unknown[][] = [];
  const console = { log: (...args: unknown[]) => logged.push(args) };
  const showResult = (job: { id: string; status: string }) => results.push(job);

  // A claimer skips an endpoint whose row is locked: the job waits, queued,
  // until both subscriptions are up.
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let held!: () => void;
  const isHeld = new Promise<void>((resolve) => (held = resolve));
  const hold = sql.begin(async (tx) => {
    await tx`select 1 from pgpod.endpoints where name = 'sdxl' for no key update`;
    held();
    await released;
  });
  await isHeld;
  try {
    const job = (await run(submitBlock!.code, { supabase }, "if (error) throw error;\nreturn job;")) as { id: string; status: string };
    expect(job.status).toBe("queued");
    for (const block of watchBlocks) await run(block.code, { supabase, user, job, showResult, console });
    await waitFor("both README channels to be joined", async () => {
      const channels = supabase.getChannels();
      return channels.length === 2 && channels.every((c) => c.state === "joined");
    }, 10_000);

    release();
    await hold;
    await sql`select pgpod.kick_dispatcher('cron', true)`;
    await waitFor("the Broadcast example's showResult", async () => results.length > 0, 60_000);
    await waitFor("the Postgres Changes example to log succeeded", async () => logged.some((args) => args[0] === "succeeded"), 10_000);
    expect(results).toEqual([expect.objectContaining({ id: job.id, status: "succeeded" })]);
    expect(logged.map((args) => args[0]).at(-1)).toBe("succeeded");

    // The files block, given the finished job as the user reads it through the Data API.
    const { data: done } = await supabase.schema("pgpod").from("jobs").select().eq("id", job.id).single();
    const signed = (await run(filesBlock!.code, { supabase, job: done }, "return data;")) as { signedUrl: string } | null;
    expect(signed?.signedUrl).toBeTruthy();
    const file = await fetch(signed!.signedUrl);
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer()).subarray(1, 4).toString()).toBe("PNG");
  } finally {
    release();
    await hold;
    await supabase.removeAllChannels();
  }
});
