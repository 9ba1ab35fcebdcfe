// `npm run demo` end to end on a small mix: its own stack, every job ending as
// the scenario expects, and a summary that says so. It starts and stops a
// stack of its own, beside the one `npm test` runs.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot, resolveConfig } from "../../local/stack/config.ts";
import { remove } from "../../local/stack/stack.ts";

const stateDir = mkdtempSync(join(tmpdir(), "pgpod-demo-test-"));

function demo(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, "local", "bin", "run.mjs"), "demo", ...args], { cwd: repoRoot });
    let output = "";
    child.stdout.on("data", (chunk) => { output += chunk; });
    child.stderr.on("data", (chunk) => { output += chunk; });
    child.on("close", (code) => resolve({ code, output }));
  });
}

afterAll(async () => {
  await remove(resolveConfig(["--state-dir", stateDir]));
}, 60_000);

describe("npm run demo", () => {
  it("refuses options it does not know, before starting anything", async () => {
    const { code, output } = await demo(["--jobz", "5", "--state-dir", stateDir]);
    expect(code).toBe(1);
    expect(output).toContain("unknown option --jobz");
    expect(existsSync(join(stateDir, "db"))).toBe(false);
  });

  it("refuses a mix too small to hold every kind of job", async () => {
    const { code, output } = await demo(["--jobs", "3", "--state-dir", stateDir]);
    expect(code).toBe(1);
    expect(output).toContain("--jobs must be a whole number of at least 10");
  });

  // Retries come back after their backoff and may wait for the once-a-minute local pg_cron run.
  it("runs a small mix to the expected end and reports it", async () => {
    const { code, output } = await demo(["--jobs", "12", "--state-dir", stateDir]);
    expect(output).toContain("result: all 12 jobs ended as expected");
    // 3 images, the upload and the sleep job inserted; 4 documents; the 3 flaky jobs through the SDK's submit
    expect(output).toContain("Data API: 12 of 12 jobs came in through /rest/v1 with the users' sessions: 5 pgpod.jobs inserts, 4 through public.documents inserts, 3 through the client SDK's submit (rpc('submit') with idempotency keys)");
    expect(output).toContain("realtime: every owner saw the final state of each of their jobs on pgpod:jobs:<user id>; nobody was sent another's");
    // per endpoint: insert→submitted, insert→finished and insert→owner saw the final state, each p50 / p95
    expect(output).toMatch(/^all +12 .*\d+\.\ds \/ \d+\.\ds +\d+\.\ds \/ \d+\.\ds +\d+\.\ds \/ \d+\.\ds$/m);
    expect(code).toBe(0);
    expect(output).toMatch(/^progress: \d+\/12 finished · inserted \d+ · queued \d+/m);
    expect(output).toMatch(/^sleep +1 +0 +0 +0 +1 /m);
    // every flaky job retries: two that succeed after one or two failures, one that always fails
    expect(output).toMatch(/^flaky +3 +2 +1 +3 +0 /m);
    expect(output).toMatch(/^all +12 +9 +2 +\d+ +1 /m);
    expect(output).toContain("documents: 4 rows in public.documents, 3 done, 1 failed; 3 document_transcriptions rows");
    expect(output).toMatch(/^ {2}ok {3}image .*\.png: \d+ bytes, PNG, size and sha256 match$/m);
    expect(output).toMatch(/^ {2}ok {3}upload /m);
    // image jobs' result URLs from output.files, the image's and its stored thumbnail's, fetched without a key
    expect(output).toMatch(/^ {2}ok {3}image {5}image_[0-9a-f]+\.png: 256×256 image\/png, \d+ bytes\n {9}http:\/\/\S+\/storage\/v1\/object\/sign\/\S+\.png\?token=\S+$/m);
    expect(output).toMatch(/^ {2}ok {3}thumbnail image_[0-9a-f]+_thumb\.webp: 160×160 image\/webp, \d+ bytes\n {9}http:\/\/\S+_thumb\.webp\?token=\S+$/m);
    expect(output).toContain(`PNGs on disk: ${join(stateDir, "storage", "objects", "pgpod-outputs")}/`);
    expect(output).toContain("pgpod stack stopped");
  }, 180_000);
});
