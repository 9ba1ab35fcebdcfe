// output.files entries carry URLs: a signed URL valid for the endpoint's
// signed_url_ttl_s, and the public URL when the bucket is public.
import { decodeJwt } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { createEndpoint, scriptedWorker, settle, sql, startEmulator, submit, uniqueName, worker } from "./harness.ts";

type Published = { path: string; url: string | null; signed_url: string | null };

const png = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489", "hex");
const pngFile = (filename: string) => ({ filename, data: png.toString("base64") });

let privateEndpoint: { name: string; bucket: string };
let publicEndpoint: { name: string; bucket: string };
let grouped: { name: string; bucket: string };

beforeAll(async () => {
  const emulator = await startEmulator({ scripted: worker(scriptedWorker) });
  privateEndpoint = await createEndpoint(uniqueName("priv"), { runpodEndpointId: "scripted", emulator });
  publicEndpoint = await createEndpoint(uniqueName("pub"), { runpodEndpointId: "scripted", emulator });
  grouped = await createEndpoint(uniqueName("grpurl"), { runpodEndpointId: "scripted", emulator, batchSize: 2 });
  await sql`update pgpod.endpoints set signed_url_ttl_s = 120 where name = ${privateEndpoint.name}`;
  await sql`update pgpod.endpoints set public_outputs = true where name = ${publicEndpoint.name}`;
});

const secondsLeft = (signedUrl: string) => decodeJwt(new URL(signedUrl).searchParams.get("token")!).exp! - Date.now() / 1000;

describe("result URLs in output.files", () => {
  it("gives each file of a private bucket a signed URL that serves its bytes for signed_url_ttl_s, and no public URL", async () => {
    const { id } = await submit(privateEndpoint.name, { output: { files: [pngFile("a.png"), pngFile("b.png")] } });
    const done = await settle(id);
    expect(done.status).toBe("succeeded");
    const files = done.output!.files as Published[];
    expect(files.map((f) => f.url)).toEqual([null, null]);
    for (const file of files) {
      expect(file.signed_url).toContain(`/storage/v1/object/sign/${privateEndpoint.bucket}/${file.path}?token=`);
      const res = await fetch(file.signed_url!);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true);
      expect(secondsLeft(file.signed_url!)).toBeGreaterThan(60);
      expect(secondsLeft(file.signed_url!)).toBeLessThanOrEqual(120);
    }
    // A signed URL is for its own object only.
    const other = new URL(files[0].signed_url!);
    other.pathname = other.pathname.replace(/a\.png$/, "b.png");
    expect((await fetch(other)).status).toBe(400);
    // The URLs are in the job's output only; pgpod.job_files keeps the paths.
    const [row] = await sql`select to_jsonb(f) as file from pgpod.job_files f where job_id = ${id} and index = 0`;
    expect(Object.keys(row.file)).not.toContain("signed_url");
  });

  it("adds the public URL, readable without a key, when the endpoint's bucket is public", async () => {
    const { id } = await submit(publicEndpoint.name, { output: { files: [pngFile("p.png")] } });
    const done = await settle(id);
    const [file] = done.output!.files as Published[];
    expect(file.url).toMatch(new RegExp(`/storage/v1/object/public/${publicEndpoint.bucket}/service/${publicEndpoint.name}/${id}/p\\.png$`));
    const res = await fetch(file.url!);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true);
    expect(secondsLeft(file.signed_url!)).toBeGreaterThan(3000);
  });

  it("signs each job's files in grouped mode, and keeps outputs without files as they are", async () => {
    const ids = [
      (await submit(grouped.name, { output: { files: [pngFile("g.png")] } })).id,
      (await submit(grouped.name, { output: { text: "no files" } })).id,
    ];
    const [first, second] = await Promise.all(ids.map((id) => settle(id)));
    const [file] = first.output!.files as Published[];
    expect(file.path).toBe(`service/${grouped.name}/${ids[0]}/g.png`);
    expect((await fetch(file.signed_url!)).status).toBe(200);
    expect(second.output).toEqual({ text: "no files" });
  });
});
