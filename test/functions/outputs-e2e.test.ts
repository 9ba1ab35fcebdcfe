// Jobs through the real functions (Deno, behind the gateway), a RunPod
// emulator and Storage: every output shape of the worker contract ends as
// files in Storage and references in the job row.
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { beforeAll, describe, expect, it } from "vitest";
import { createEndpoint, createUser, download, env, scriptedWorker, settle, sql, startEmulator, submit, uniqueName, worker } from "./harness.ts";

const png = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489", "hex");
const sha = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

let single: { name: string; bucket: string };
let strict: { name: string; bucket: string };
let grouped: { name: string; bucket: string };
let direct: { name: string; bucket: string };
let files: string;
let internalUrl: string;
let owner: string;
let emulator: Awaited<ReturnType<typeof startEmulator>>;

beforeAll(async () => {
  emulator = await startEmulator({ scripted: worker(scriptedWorker), upload: worker("upload") });
  single = await createEndpoint(uniqueName("out"), { runpodEndpointId: "scripted", emulator });
  strict = await createEndpoint(uniqueName("one"), { runpodEndpointId: "scripted", emulator, maxAttempts: 1 });
  grouped = await createEndpoint(uniqueName("grp"), { runpodEndpointId: "scripted", emulator, batchSize: 3 });
  direct = await createEndpoint(uniqueName("dir"), { runpodEndpointId: "upload", emulator, directUpload: true });
  owner = await createUser();
  // URL outputs come from a public bucket of the stack's own Storage, whose
  // origin the stack lists in PGPOD_FETCH_ALLOWED_ORIGINS.
  const auth = { authorization: `Bearer ${env.SUPABASE_SERVICE_ROLE_KEY}` };
  const fileBucket = uniqueName("files").replace(/_/g, "-");
  await fetch(`${env.SUPABASE_URL}/storage/v1/bucket`, {
    method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ id: fileBucket, name: fileBucket, public: true }),
  });
  for (const name of ["renders/0.webp", "renders/1.png"]) {
    const res = await fetch(`${env.SUPABASE_URL}/storage/v1/object/${fileBucket}/${name}`, {
      method: "POST", headers: { ...auth, "content-type": "image/png" }, body: png,
    });
    expect(res.status).toBe(200);
  }
  files = `${env.SUPABASE_URL}/storage/v1/object/public/${fileBucket}`;
  // Any other loopback server is what an SSRF would reach: the webhook must refuse it.
  const internal = createServer((_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("internal secret"));
  await new Promise<void>((resolve) => internal.listen(0, "127.0.0.1", resolve));
  internalUrl = `http://127.0.0.1:${(internal.address() as { port: number }).port}`;
  return () => new Promise<void>((resolve) => (internal.closeAllConnections(), internal.close(() => resolve())));
});

async function jobFiles(jobId: string) {
  return await sql`select index, filename, bucket, path, content_type, size::int, sha256, owner_id from pgpod.job_files where job_id = ${jobId} order by index`;
}

describe("output files end to end", () => {
  it("stores a base64 file under the owner's folder and keeps the rest of the output", async () => {
    const { id } = await submit(single.name, {
      output: { status: "success", prompt_id: "p1", files: [{ filename: "portrait.png", data: png.toString("base64"), encoding: "base64" }] },
    }, owner);
    const done = await settle(id);
    expect(done.status).toBe("succeeded");
    const path = `${owner}/${single.name}/${id}/portrait.png`;
    const ref = { index: 0, filename: "portrait.png", bucket: single.bucket, path, content_type: "image/png", size: png.length, sha256: sha(png) };
    expect(done.output).toEqual({ status: "success", prompt_id: "p1", files: [{ ...ref, url: null, signed_url: expect.any(String) }] });
    expect(await jobFiles(id)).toEqual([{ ...ref, owner_id: owner }]);
    const stored = await download(single.bucket, path);
    expect(stored.status).toBe(200);
    expect(stored.type).toBe("image/png");
    expect(stored.bytes.equals(png)).toBe(true);
  });

  it("stores several files of one body intact, large and small, each decoded into its own part of the body's buffer", async () => {
    // over 64 KiB of base64 each for the first and the data: URI, so they are cut out of the body's bytes
    const contents = [randomBytes(120_000), randomBytes(1_000), randomBytes(90_000), randomBytes(50_001)];
    const { id } = await submit(single.name, {
      output: {
        files: [
          { filename: "a.bin", content_type: "application/octet-stream", data: contents[0].toString("base64") },
          { filename: "b.bin", content_type: "application/octet-stream", data: contents[1].toString("base64url") },
          { filename: "c.bin", data: `data:application/octet-stream;base64,${contents[2].toString("base64")}` },
          { filename: "d.bin", content_type: "application/octet-stream", data: contents[3].toString("base64").replace(/.{76}/g, "$&\n") },
        ],
      },
    }, owner);
    expect((await settle(id)).status).toBe("succeeded");
    const refs = await jobFiles(id);
    expect(refs.map((r) => [r.filename, r.size, r.sha256])).toEqual(contents.map((c, i) => [`${"abcd"[i]}.bin`, c.length, sha(c)]));
    for (const [i, r] of refs.entries()) expect((await download(r.bucket, r.path)).bytes.equals(contents[i])).toBe(true);
  });

  it("stores data: URIs with their declared type, and names unnamed files by index", async () => {
    const { id } = await submit(single.name, { output: { files: [`data:text/plain;base64,${Buffer.from("hello").toString("base64")}`] } });
    const done = await settle(id);
    expect(done.status).toBe("succeeded");
    const [file] = await jobFiles(id);
    expect(file).toMatchObject({ filename: "file-0.txt", content_type: "text/plain", size: 5, path: `service/${single.name}/${id}/file-0.txt` });
    expect((await download(single.bucket, file.path)).bytes.toString()).toBe("hello");
  });

  it("downloads URL outputs, including a Replicate-style array of URLs, typed by the host's answer", async () => {
    const { id } = await submit(single.name, { output: [`${files}/renders/0.webp`, `${files}/renders/1.png`] });
    const done = await settle(id);
    expect(done.status).toBe("succeeded");
    const stored = await jobFiles(id);
    expect(stored.map((f) => [f.filename, f.content_type, f.size])).toEqual([["0.webp", "image/png", png.length], ["1.png", "image/png", png.length]]);
    expect(done.output).toEqual({ files: stored.map(({ owner_id: _o, ...ref }) => ({ ...ref, url: null, signed_url: expect.any(String) })) });
    expect((await download(single.bucket, stored[1].path)).bytes.equals(png)).toBe(true);
  });

  it("fails the attempt with a clear error and stores nothing when an output URL answers 4xx", async () => {
    const { id } = await submit(strict.name, { output: { files: [{ url: `${files}/missing/a.png` }] } });
    const done = await settle(id);
    expect(done.error).toMatch(/^pgpod: download from 127\.0\.0\.1:\d+ answered 400$/);
    expect(await jobFiles(id)).toEqual([]);
  });

  it("refuses output URLs on loopback, private and metadata addresses: the attempt fails, nothing is fetched", async () => {
    const urls = [`${internalUrl}/a.png`, `http://${new URL(internalUrl).host.replace("127.0.0.1", "2130706433")}/a.png`,
                  "https://169.254.169.254/latest/meta-data/", "https://[::ffff:127.0.0.1]/", "https://0.0.0.0/"];
    const jobs = await Promise.all(urls.map((url) => submit(strict.name, { output: { files: [{ url }] } })));
    for (const [i, { id }] of jobs.entries()) {
      const done = await settle(id);
      expect(done.status).toBe("failed");
      expect(done.error).toMatch(/^pgpod: refused to fetch /);
      expect(done.error).toContain(new URL(urls[i]).origin);
      expect(await jobFiles(id)).toEqual([]);
    }
  });

  it("fails the attempt when a file's base64 is broken, without a half-written job", async () => {
    const { id } = await submit(strict.name, { output: { files: [{ filename: "a.png", data: "%%%" }] } });
    const done = await settle(id);
    expect(done.status).toBe("failed");
    expect(done.error).toBe("pgpod: output file 0 is not valid base64");
    expect(done.output).toBeNull();
    expect(await jobFiles(id)).toEqual([]);
  });

  it("lets a direct-upload worker put its file in Storage through a signed URL", async () => {
    const { id } = await submit(direct.name, { prompt: "a lighthouse" }, owner);
    const done = await settle(id);
    expect(done.status).toBe("succeeded");
    const path = `${owner}/${direct.name}/${id}/run-${done.run_id}/output`;
    const [file] = await jobFiles(id);
    expect(file).toMatchObject({ filename: "output", bucket: direct.bucket, path, content_type: "image/png", sha256: null });
    const stored = await download(direct.bucket, path);
    expect(stored.status).toBe(200);
    expect(file.size).toBe(stored.bytes.length);
    expect(stored.bytes.subarray(0, 4).toString("hex")).toBe("89504e47");
    // The worker never saw a key: only the signed URL went into its input.
    const [run] = await sql`select input from pgpod.jobs where id = ${id}`;
    expect(JSON.stringify(run.input)).not.toContain(process.env.SUPABASE_SERVICE_ROLE_KEY);
  });

  it("refuses a storage_path outside the job's folder", async () => {
    const { id } = await submit(strict.name, { output: { files: [{ filename: "x.png", storage_path: `someone-else/${strict.name}/x.png` }] } });
    const done = await settle(id);
    expect(done.error).toBe(
      `pgpod: output file 0: storage_path "someone-else/${strict.name}/x.png" is outside the job's folder service/${strict.name}/${id}/`,
    );
  });

  it("runs grouped jobs as one RunPod job and settles each job from its own result", async () => {
    const inputs = [
      { output: { text: "one", files: [{ filename: "a.txt", data: Buffer.from("A").toString("base64") }] } },
      { fail: "this one failed" },
      { output: { text: "three" } },
    ];
    const [rows] = await Promise.all([
      sql<{ id: string }[]>`
        insert into pgpod.jobs (endpoint, input, max_attempts)
        select ${grouped.name}, x, 1 from jsonb_array_elements(${sql.json(inputs)}) x
        returning id`,
    ]);
    const ids = rows.map((r) => r.id);
    const done = await Promise.all(ids.map((id) => settle(id)));
    expect(done.map((j) => j.status)).toEqual(["succeeded", "failed", "succeeded"]);
    expect(new Set(done.map((j) => j.run_id)).size).toBe(1);
    expect(done[0].output).toMatchObject({ text: "one", files: [{ filename: "a.txt", path: `service/${grouped.name}/${ids[0]}/a.txt` }] });
    expect(done[1].error).toBe("this one failed");
    expect(done[2].output).toEqual({ text: "three" });
    expect((await download(grouped.bucket, `service/${grouped.name}/${ids[0]}/a.txt`)).bytes.toString()).toBe("A");
  });

  it("types files by their bytes, refuses active content in a public bucket and stores it as a download in a private one", async () => {
    const html = Buffer.from("<!doctype html><script>alert(document.cookie)</script>").toString("base64");
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>').toString("base64");
    const open = await createEndpoint(uniqueName("pub"), { runpodEndpointId: "scripted", emulator, maxAttempts: 1 });
    await sql`update pgpod.endpoints set public_outputs = true where name = ${open.name}`;

    const disguised = await settle((await submit(single.name, {
      output: { files: [{ filename: "pic.png", content_type: "text/html", data: png.toString("base64") },
                        { filename: "fake.png", content_type: "image/png", data: html },
                        { filename: "page.html", content_type: "text/html", data: html }] },
    })).id);
    expect(disguised.status).toBe("succeeded");
    expect((await jobFiles(disguised.id)).map((f) => [f.filename, f.content_type])).toEqual([
      ["pic.png", "image/png"], ["fake.png", "application/octet-stream"], ["page.html", "application/octet-stream"],
    ]);
    expect((await download(single.bucket, (await jobFiles(disguised.id))[2].path)).type).toBe("application/octet-stream");

    for (const file of [{ filename: "x.svg", content_type: "image/svg+xml", data: svg }, { filename: "pic.png", content_type: "text/html", data: html }]) {
      const refused = await settle((await submit(open.name, { output: { files: [file] } })).id);
      expect(refused.status).toBe("failed");
      expect(refused.error).toMatch(/^pgpod: output file 0 is (image\/svg\+xml|application\/octet-stream|text\/html)/);
    }

    await sql`update pgpod.endpoints set allow_active_outputs = true where name = ${open.name}`;
    const allowed = await settle((await submit(open.name, { output: { files: [{ filename: "x.svg", content_type: "image/svg+xml", data: svg }] } })).id);
    expect(allowed.status).toBe("succeeded");
    expect((await jobFiles(allowed.id))[0].content_type).toBe("image/svg+xml");
  });

  it("broadcasts the owner's job changes on the owner's private topic", async () => {
    const { id } = await submit(single.name, { output: { ok: true } }, owner);
    await settle(id);
    const messages = await sql`
      select payload -> 'record' ->> 'status' as status from realtime.messages
      where topic = ${`pgpod:jobs:${owner}`} and payload -> 'record' ->> 'id' = ${id}
      order by inserted_at, id`;
    const statuses = messages.map((m) => m.status);
    expect(statuses[0]).toBe("queued");
    expect(statuses).toContain("submitted");
    expect(statuses.at(-1)).toBe("succeeded");
  });
});
