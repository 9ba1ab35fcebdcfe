// pgpod-archive end to end: a signed-in user's jobs' files as one tar.gz in
// pgpod-archives, only their own jobs, the same set served from the archive
// made before, flat memory for more data than the function's 256 MB, and
// archives removed once pgpod.prune expires them.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, gunzipSync } from "node:zlib";
import type { SupabaseClient } from "@supabase/supabase-js";
import { beforeAll, describe, expect, it } from "vitest";
import { signedUpUser } from "../support/clients.ts";
import { untar } from "../support/tar.ts";
import { createEndpoint, dispatchAuthorization, env, functionUrl, scriptedWorker, settle, sql, startEmulator, submit, uniqueName, worker } from "./harness.ts";

type User = { client: SupabaseClient; id: string };
let endpoint: { name: string; bucket: string };
let a: User;
let b: User;
const aJobs: string[] = [];
let bJob: string;

const text = (s: string) => ({ filename: `${s}.txt`, data: Buffer.from(`file ${s}`).toString("base64") });

beforeAll(async () => {
  const emulator = await startEmulator({ scripted: worker(scriptedWorker) });
  endpoint = await createEndpoint(uniqueName("arch"), { runpodEndpointId: "scripted", emulator });
  a = await signedUpUser("archive-a");
  b = await signedUpUser("archive-b");
  for (const names of [["one", "two"], ["three"]]) {
    const { id } = await submit(endpoint.name, { output: { files: names.map(text) } }, a.id);
    aJobs.push(id);
  }
  bJob = (await submit(endpoint.name, { output: { files: [text("secret")] } }, b.id)).id;
  for (const id of [...aJobs, bJob]) expect((await settle(id)).status).toBe("succeeded");
}, 60_000);

async function archive(user: User | null, body: Record<string, unknown>) {
  const token = user ? (await user.client.auth.getSession()).data.session!.access_token : null;
  const res = await fetch(functionUrl("pgpod-archive"), {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

describe("pgpod-archive", () => {
  it("archives the caller's jobs as <job id>/<filename> entries and answers with a signed URL", async () => {
    const res = await archive(a, { job_ids: aJobs });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ cached: false, expires_in: 3600, archive: { bucket: "pgpod-archives", files: 3 } });
    expect(res.body.archive.path).toMatch(new RegExp(`^${a.id}/[0-9a-f]{64}\\.tar\\.gz$`));
    const download = await fetch(res.body.signed_url);
    expect(download.headers.get("content-type")).toBe("application/gzip");
    const gz = Buffer.from(await download.arrayBuffer());
    expect(gz.length).toBe(res.body.archive.size);
    // In job id order, each job's files in their output order.
    const byJob = { [aJobs[0]]: ["one", "two"], [aJobs[1]]: ["three"] };
    const expected = [...aJobs].sort().flatMap((job) => byJob[job].map((n) => ({ name: `${job}/${n}.txt`, bytes: `file ${n}` })));
    expect(untar(gunzipSync(gz))).toEqual(expected);
  });

  it("returns the archive made before for the same set of files, and a new one for another set", async () => {
    const first = await archive(a, { endpoint: endpoint.name });
    const again = await archive(a, { job_ids: [...aJobs].reverse() });
    expect(again.status).toBe(200);
    expect(again.body.cached).toBe(true);
    expect(again.body.archive.path).toBe(first.body.archive.path);
    const other = await archive(a, { job_ids: [aJobs[1]], expires_in: 120 });
    expect(other.body).toMatchObject({ cached: false, expires_in: 120, archive: { files: 1 } });
    expect(other.body.archive.path).not.toBe(first.body.archive.path);
  });

  it("refuses another user's jobs, a missing token, an anonymous key and bad requests, and writes nothing", async () => {
    const before = await sql`select count(*)::int as n from pgpod.archives`;
    const stolen = await archive(b, { job_ids: [aJobs[0]] });
    expect(stolen).toEqual({ status: 404, body: { error: `pgpod: job ${aJobs[0]} not found` } });
    const mixed = await archive(b, { job_ids: [bJob, aJobs[0]] });
    expect(mixed.status).toBe(404);
    // A filter only ever matches the caller's own jobs.
    const filtered = await archive(b, { endpoint: endpoint.name });
    expect(filtered.body.archive.files).toBe(1);
    expect((await archive(null, { job_ids: aJobs })).status).toBe(401);
    const anon = await fetch(functionUrl("pgpod-archive"), {
      method: "POST", headers: { authorization: `Bearer ${env.SUPABASE_ANON_KEY}` }, body: JSON.stringify({ job_ids: aJobs }),
    });
    expect(anon.status).toBe(401);
    expect((await archive(a, {})).body.error).toMatch(/^pgpod: name the jobs to archive/);
    expect((await archive(a, { job_ids: ["not-a-uuid"] })).status).toBe(400);
    expect((await archive(a, { job_ids: aJobs, colour: "red" })).status).toBe(400);
    expect((await archive(a, { job_ids: [randomUUID()] })).status).toBe(404);
    const after = await sql`select count(*)::int as n from pgpod.archives`;
    expect(after[0].n).toBe(before[0].n + 1); // only b's own filtered archive
  });

  it("answers a browser's preflight without a token and marks its answers, refusals included, readable from any origin", async () => {
    const origin = "http://127.0.0.1:5173";
    const preflight = await fetch(functionUrl("pgpod-archive"), {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,x-client-info,apikey,content-type" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/authorization, x-client-info, apikey, content-type/);
    const token = (await a.client.auth.getSession()).data.session!.access_token;
    const ask = (body: string) => fetch(functionUrl("pgpod-archive"), {
      method: "POST",
      headers: { origin, authorization: `Bearer ${token}`, "content-type": "application/json" },
      body,
    });
    const made = await ask(JSON.stringify({ job_ids: aJobs }));
    const refused = await ask("not json");
    const missing = await ask(JSON.stringify({ job_ids: [randomUUID()] }));
    expect([made.status, refused.status, missing.status]).toEqual([200, 400, 404]);
    for (const res of [made, refused, missing]) expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("removes archives pgpod.prune expired on the next cron dispatch; asking again makes a new one", async () => {
    const made = await archive(a, { job_ids: [aJobs[0]] });
    await sql`update pgpod.archives set created_at = now() - interval '30 days' where path = ${made.body.archive.path}`;
    const [pruned] = await sql`select pgpod.prune('7 days') as r`;
    expect(pruned.r.expired_archives).toBeGreaterThanOrEqual(1);
    const res = await fetch(functionUrl("pgpod-dispatch"), {
      method: "POST",
      headers: { authorization: await dispatchAuthorization(), "content-type": "application/json" },
      body: JSON.stringify({ reason: "cron" }),
    });
    const summary = await res.json();
    expect(summary.archives_removed).toBeGreaterThanOrEqual(1);
    expect(await sql`select 1 from pgpod.archives where path = ${made.body.archive.path}`).toEqual([]);
    expect((await fetch(made.body.signed_url)).status).toBe(400);
    const again = await archive(a, { job_ids: [aJobs[0]] });
    expect(again.body).toMatchObject({ cached: false, archive: { path: made.body.archive.path } });
  });
});

describe("pgpod-archive memory", () => {
  const fileBytes = 48 * 1024 * 1024;
  const fileCount = 6;

  /** Peak resident memory of this stack's pgpod-archive process, in bytes. */
  function archivePeakRss(): number {
    for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
      try {
        if (!readlinkSync(`/proc/${pid}/cwd`).endsWith("/supabase/functions/pgpod-archive")) continue;
        if (!readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`SUPABASE_URL=${env.SUPABASE_URL}`)) continue;
        const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
        if (hwm) return Number(hwm[1]) * 1024;
      } catch {
        // a process that ended meanwhile
      }
    }
    throw new Error("no pgpod-archive process found for this stack");
  }

  it(`streams ${fileCount} files of ${fileBytes >> 20} MiB (more than the function's 256 MB) with flat memory`, async () => {
    // Compressible (a repeated 16 KiB block) so the archive fits the project's 50 MiB file limit.
    const content = Buffer.alloc(fileBytes);
    const unit = randomBytes(16384);
    for (let at = 0; at < fileBytes; at += unit.length) unit.copy(content, at);
    const sha = createHash("sha256").update(content).digest("hex");
    const [job] = await sql`insert into pgpod.jobs (endpoint, input, owner_id) values (${endpoint.name}, '{}', ${a.id}) returning id`;
    for (let i = 0; i < fileCount; i++) {
      const path = `${a.id}/${endpoint.name}/${job.id}/big-${i}.bin`;
      const put = await fetch(`${env.SUPABASE_URL}/storage/v1/object/${endpoint.bucket}/${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${env.SUPABASE_SERVICE_ROLE_KEY}`, "content-type": "application/octet-stream" },
        body: content,
      });
      expect(put.status).toBe(200);
      await sql`insert into pgpod.job_files (job_id, index, owner_id, filename, bucket, path, content_type, size, sha256)
                values (${job.id}, ${i}, ${a.id}, ${`big-${i}.bin`}, ${endpoint.bucket}, ${path}, 'application/octet-stream', ${fileBytes}, ${sha})`;
    }
    const res = await archive(a, { job_ids: [job.id] });
    expect(res.status).toBe(200);
    const peak = archivePeakRss();
    expect(peak).toBeLessThan(200 * 1024 * 1024);
    // The archive holds every byte: gunzip it as a stream and count.
    const download = await fetch(res.body.signed_url);
    let total = 0;
    await pipeline(Readable.fromWeb(download.body as never), createGunzip(), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) total += chunk.length;
    });
    // a header and the bytes (whole blocks) per file, then two zero blocks
    expect(total).toBe(fileCount * (512 + fileBytes) + 1024);
    console.log(`pgpod-archive: ${fileCount * fileBytes} bytes archived into ${res.body.archive.size}, peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`);
  }, 240_000);
});
