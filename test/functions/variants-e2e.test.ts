// Image variants through the webhook on the local stack: an endpoint with a
// variants setting gets a WebP thumbnail and conversion of each image stored
// beside it and listed in output.files; an image over the cap and a corrupt
// one are stored as they are, with the reason on their entry, and the job
// succeeds; deliveries of the same result store each variant once.
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import type { RunpodEmulator } from "../../local/runpod/server.ts";
import { variantLimits } from "../../supabase/functions/_shared/variant-files.ts";
import { createEndpoint, download, env, job, scriptedWorker, settle, sql, startEmulator, submit, uniqueName, waitFor, webhookUrl, worker } from "./harness.ts";

interface OutputFile {
  index: number;
  filename: string;
  path: string;
  content_type: string;
  size: number;
  sha256: string | null;
  signed_url: string | null;
  variant?: string;
  variant_of?: number;
  variants_skipped?: string;
  variants_failed?: string;
}

let emulator: RunpodEmulator;
let ep: { name: string; bucket: string };
let lossy: { name: string; bucket: string };

async function picture(width: number, height: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) % 251;
  return await sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

const file = (filename: string, bytes: Buffer) => ({ filename, data: bytes.toString("base64") });

async function storedNames(bucket: string, folder: string): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    select name from storage.objects where bucket_id = ${bucket} and name like ${`${folder}/%`} order by name`;
  return rows.map((r) => r.name.slice(folder.length + 1));
}

beforeAll(async () => {
  emulator = await startEmulator({
    scripted: worker(scriptedWorker),
    lossy: worker(scriptedWorker, { faults: { webhookDropRate: 1 } }),
  });
  ep = await createEndpoint(uniqueName("variants"), { runpodEndpointId: "scripted", emulator });
  lossy = await createEndpoint(uniqueName("varlost"), { runpodEndpointId: "lossy", emulator });
  for (const name of [ep.name, lossy.name]) {
    await sql`update pgpod.endpoints set variants = '{"thumbnail_width": 64, "webp": true, "max_megapixels": 1}' where name = ${name}`;
  }
});

describe("image variants in the webhook", () => {
  it("stores <name>_thumb.webp and <name>.webp beside an image, lists them with variant and variant_of, and skips an image over the cap", { timeout: 60_000 }, async () => {
    const small = await picture(320, 160);
    const big = await picture(1200, 1000); // 1.2 megapixels, over the endpoint's cap of 1
    const { id } = await submit(ep.name, { output: { prompt_id: "p", files: [file("small.png", small), file("big.png", big)] } });
    const done = await settle(id);
    expect(done.status).toBe("succeeded");
    expect(done.output!.prompt_id).toBe("p");
    const files = done.output!.files as OutputFile[];
    expect(files.map((f) => [f.index, f.filename, f.content_type, f.variant ?? null, f.variant_of ?? null])).toEqual([
      [0, "small.png", "image/png", null, null],
      [1, "big.png", "image/png", null, null],
      [2, "small_thumb.webp", "image/webp", "thumb", 0],
      [3, "small.webp", "image/webp", "webp", 0],
    ]);
    expect(files[0].variants_skipped).toBeUndefined();
    expect(files[1].variants_skipped).toBe("1200×1000 is 1.2 megapixels, over the cap of 1");

    const folder = files[0].path.slice(0, files[0].path.lastIndexOf("/"));
    expect(await storedNames(ep.bucket, folder)).toEqual(["big.png", "small.png", "small.webp", "small_thumb.webp"]);
    const thumb = await download(ep.bucket, files[2].path);
    expect(thumb.type).toBe("image/webp");
    expect(await sharp(thumb.bytes).metadata()).toMatchObject({ format: "webp", width: 64, height: 32 });
    expect(thumb.bytes.length).toBe(files[2].size);
    // The variant's signed URL serves it, as the original's does.
    const signed = await fetch(files[3].signed_url!);
    expect(signed.status).toBe(200);
    expect(await sharp(Buffer.from(await signed.arrayBuffer())).metadata()).toMatchObject({ format: "webp", width: 320, height: 160 });

    const rows = await sql`select index, filename, content_type, size from pgpod.job_files where job_id = ${id} order by index`;
    expect(rows.map((r) => r.filename)).toEqual(["small.png", "big.png", "small_thumb.webp", "small.webp"]);
  });

  it("stores a corrupt image as it is, records the failed variants on its entry, and the job succeeds", { timeout: 60_000 }, async () => {
    const good = await picture(100, 100);
    const corrupt = Buffer.concat([good.subarray(0, 33), Buffer.alloc(200, 0x55)]);
    const { id } = await submit(ep.name, { output: { files: [file("broken.png", corrupt)] } });
    const done = await settle(id);
    expect(done.status).toBe("succeeded");
    const files = done.output!.files as OutputFile[];
    expect(files).toHaveLength(1);
    expect(files[0].variants_failed).toMatch(/^the image\/png decoder refused it: /);
    expect((await download(ep.bucket, files[0].path)).bytes.equals(corrupt)).toBe(true);
  });

  it("stores each variant once when the same result is delivered twice at the same time and once more later", { timeout: 60_000 }, async () => {
    const { id } = await submit(lossy.name, { output: { files: [file("again.png", await picture(200, 200))] } });
    const running = await settle(id, ["submitted", "running"]);
    const [run] = await sql<{ id: string; attempt: number; runpod_job_id: string }[]>`
      select id::text, attempt, runpod_job_id from pgpod.runs where id = ${running.run_id}`;
    const result = await waitFor("the run to complete on the emulator", async () => {
      const res = await fetch(`${emulator.url}/v2/lossy/status/${run.runpod_job_id}`, { headers: { authorization: `Bearer ${env.RUNPOD_API_KEY}` } });
      const body = await res.json();
      return body.status === "COMPLETED" ? body : null;
    });
    const url = await webhookUrl(run.id, run.attempt);
    const deliver = () => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(result) });
    const answers = await Promise.all([deliver(), deliver()]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect((await deliver()).status).toBe(200);

    const done = await job(id);
    expect(done.status).toBe("succeeded");
    const files = done.output!.files as OutputFile[];
    expect(files.map((f) => f.filename)).toEqual(["again.png", "again_thumb.webp", "again.webp"]);
    const folder = files[0].path.slice(0, files[0].path.lastIndexOf("/"));
    expect(await storedNames(lossy.bucket, folder)).toEqual(["again.png", "again.webp", "again_thumb.webp"]);
    const [{ count }] = await sql<{ count: number }[]>`select count(*)::int as count from pgpod.job_files where job_id = ${id}`;
    expect(count).toBe(3);
  });

  it("stores the variants when the dispatcher's reconciler finishes a job whose webhook was lost", { timeout: 60_000 }, async () => {
    const { id } = await submit(lossy.name, { output: { files: [file("polled.png", await picture(90, 60))] } });
    const running = await settle(id, ["submitted", "running"]);
    const [run] = await sql<{ runpod_job_id: string }[]>`select runpod_job_id from pgpod.runs where id = ${running.run_id}`;
    await waitFor("the run to complete on the emulator", async () => {
      const res = await fetch(`${emulator.url}/v2/lossy/status/${run.runpod_job_id}`, { headers: { authorization: `Bearer ${env.RUNPOD_API_KEY}` } });
      return (await res.json()).status === "COMPLETED";
    });
    // Overdue: not heard from for longer than settings.poll_after_s, so the next dispatch polls /status.
    await sql`update pgpod.runs set submitted_at = now() - interval '1 hour', last_polled_at = null where id = ${running.run_id}`;
    const done = await settle(id);
    expect(done.status).toBe("succeeded");
    const files = done.output!.files as OutputFile[];
    expect(files.map((f) => [f.filename, f.variant ?? null])).toEqual([["polled.png", null], ["polled_thumb.webp", "thumb"], ["polled.webp", "webp"]]);
    expect(await sharp((await download(lossy.bucket, files[1].path)).bytes).metadata()).toMatchObject({ format: "webp", width: 64, height: 43 });
  });
});

describe("the variants setting", () => {
  it("refuses a bad setting with a clear error and keeps the old one", async () => {
    const attempts: Array<[string, string]> = [
      // The webhook's own bound (variant-files.ts) is the one SQL enforces.
      [`{"thumbnail_width": 64, "max_megapixels": ${variantLimits.maxMegapixels + 0.01}}`, `max_megapixels must be above 0 and at most ${variantLimits.maxMegapixels} `],
      ['{"thumbnail_width": 8}', "thumbnail_width must be a whole number of pixels from 16 to 2048"],
      ['{"thumbnail_width": 64.5}', "thumbnail_width must be a whole number"],
      ['{"webp": "yes"}', "webp must be true or false"],
      ['{"webp": false}', "asks for nothing"],
      ['{"thumb": 64}', 'unknown key "thumb"'],
      ['[64]', "must be a JSON object"],
    ];
    for (const [value, message] of attempts) {
      await expect(sql`update pgpod.endpoints set variants = (${value}::text)::jsonb where name = ${ep.name}`).rejects.toThrow(message);
    }
    const [row] = await sql`select variants from pgpod.endpoints where name = ${ep.name}`;
    expect(row.variants).toEqual({ thumbnail_width: 64, webp: true, max_megapixels: 1 });
  });
});
