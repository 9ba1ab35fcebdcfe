// The demo workers and handlers registered by module path.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { PNG } from "pngjs";
import { describe, expect, it, onTestFinished } from "vitest";
import { fastEndpoint, startEmulator, startReceiver } from "./support.ts";

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;

describe("image", () => {
  it("returns a real PNG, base64, in the shape of a ComfyUI worker; the same prompt gives the same picture", async () => {
    const { client } = await startEmulator();
    const first = await client.post("/v2/image/runsync", { input: { prompt: "a red fox", width: 32, height: 24 } });
    expect(first.body.output).toEqual({
      status: "success",
      prompt_id: expect.stringMatching(/^[0-9a-f]{16}$/),
      files: [{ type: "image", filename: `image_${first.body.output.prompt_id}.png`, data: expect.any(String), encoding: "base64", content_type: "image/png" }],
    });
    const png = PNG.sync.read(Buffer.from(first.body.output.files[0].data, "base64"));
    expect([png.width, png.height]).toEqual([32, 24]);

    const again = await client.post("/v2/image/runsync", { input: { prompt: "a red fox", width: 32, height: 24 } });
    expect(again.body.output).toEqual(first.body.output);
    const other = await client.post("/v2/image/runsync", { input: { prompt: "a blue whale", width: 32, height: 24 } });
    expect(other.body.output.files[0].data).not.toBe(first.body.output.files[0].data);
  });

  it("fails without a prompt or with an absurd size", async () => {
    const { client } = await startEmulator();
    const noPrompt = await client.post("/v2/image/runsync", { input: {} });
    expect(noPrompt.body.status).toBe("FAILED");
    expect(JSON.parse(noPrompt.body.error)).toMatchObject({ error_type: "<class 'TypeError'>", error_message: "input.prompt must be a non-empty string" });
    expect((await client.post("/v2/image/runsync", { input: { prompt: "x", width: 100000, height: 100000 } })).body.status).toBe("FAILED");
  });
});

describe("transcribe", () => {
  /** Audio files served the way Storage serves a signed URL. */
  async function audioHost(): Promise<string> {
    const server = createServer((req, res) => {
      if (req.url?.startsWith("/x/")) res.writeHead(200, { "content-type": "audio/mpeg" }).end(Buffer.alloc(1234));
      else res.writeHead(400, { "content-type": "application/json" }).end('{"error":"InvalidJWT"}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it("grouped mode: one result per item, failing only the items that ask for it or whose audio cannot be read", async () => {
    const { client } = await startEmulator();
    const host = await audioHost();
    const jobs = [
      { job_id: "a", input: { url: `${host}/x/meeting.mp3?token=t` } },
      { job_id: "b", input: { url: `${host}/x/bad.mp3`, fail: true } },
      { job_id: "c", input: {} },
      { job_id: "d", input: { url: `${host}/expired.mp3` } },
    ];
    const reply = await client.post("/v2/transcribe/runsync", { input: { jobs } });
    expect(reply.body.status).toBe("COMPLETED");
    const text = "Transcript of meeting.mp3 (1234 bytes).";
    expect(reply.body.output).toEqual({
      results: [
        { job_id: "a", output: { text, language: "en", audio_bytes: 1234, segments: [{ start: 0, end: 1.5, text }] } },
        { job_id: "b", error: "transcription failed on purpose (input.fail)" },
        { job_id: "c", error: "input.url must be a non-empty string" },
        { job_id: "d", error: "could not read the audio: 400 Bad Request" },
      ],
    });
  });

  it("single mode: the input is one item", async () => {
    const { client } = await startEmulator();
    const host = await audioHost();
    expect((await client.post("/v2/transcribe/runsync", { input: { url: `${host}/x/a.wav` } })).body.output.text).toBe("Transcript of a.wav (1234 bytes).");
    expect((await client.post("/v2/transcribe/runsync", { input: { jobs: "nope" } })).body.status).toBe("FAILED");
  });
});

describe("upload", () => {
  it("PUTs a PNG to each signed upload URL and returns the storage paths, never holding a key", async () => {
    const { client } = await startEmulator();
    const storage = await startReceiver(() => ({ status: 200 }));
    const reply = await client.post("/v2/upload/runsync", {
      input: {
        prompt: "cat",
        uploads: [
          { url: `${storage.url}/storage/v1/object/upload/sign/outputs/a/cat.png?token=t1`, storage_path: "a/cat.png" },
          { url: `${storage.url}/storage/v1/object/upload/sign/outputs/a/two.png?token=t2`, storage_path: "a/2.png", filename: "second.png", upsert: true },
        ],
      },
    });
    expect(reply.body.status).toBe("COMPLETED");
    expect(reply.body.output).toEqual({
      files: [
        { filename: "cat.png", storage_path: "a/cat.png", content_type: "image/png" },
        { filename: "second.png", storage_path: "a/2.png", content_type: "image/png" },
      ],
    });
    expect(storage.received.map((r) => [r.method, r.url, r.headers["content-type"], r.headers["x-upsert"], r.headers.authorization])).toEqual([
      ["PUT", "/storage/v1/object/upload/sign/outputs/a/cat.png?token=t1", "image/png", "false", undefined],
      ["PUT", "/storage/v1/object/upload/sign/outputs/a/two.png?token=t2", "image/png", "true", undefined],
    ]);
    expect(PNG.sync.read(storage.received[0].raw).width).toBe(64);
  });

  it("accepts a single input.upload", async () => {
    const { client } = await startEmulator();
    const storage = await startReceiver();
    const reply = await client.post("/v2/upload/runsync", { input: { upload: { url: `${storage.url}/u?token=t`, storage_path: "x/y.png" } } });
    expect(reply.body.output).toEqual({ files: [{ filename: "y.png", storage_path: "x/y.png", content_type: "image/png" }] });
  });

  it("fails when Storage refuses the upload or no URL is given", async () => {
    const { client } = await startEmulator();
    const storage = await startReceiver(() => ({ status: 400 }));
    const refused = await client.post("/v2/upload/runsync", { input: { upload: { url: `${storage.url}/u`, storage_path: "x/y.png" } } });
    expect(refused.body.status).toBe("FAILED");
    expect(JSON.parse(refused.body.error).error_message).toContain("upload of x/y.png failed: HTTP 400");
    expect((await client.post("/v2/upload/runsync", { input: {} })).body.status).toBe("FAILED");
    expect((await client.post("/v2/upload/runsync", { input: { upload: { url: `${storage.url}/u` } } })).body.status).toBe("FAILED");
  });
});

describe("flaky, sleep, noop", () => {
  it("flaky fails the first fail_times runs of one key, then succeeds", async () => {
    const { client } = await startEmulator();
    const key = `retry-me-${Date.now()}`;
    const run = async () => (await client.post("/v2/flaky/runsync", { input: { key, fail_times: 2 } })).body;
    expect((await run()).error).toContain("(1 of 2)");
    expect((await run()).error).toContain("(2 of 2)");
    expect(await run()).toMatchObject({ status: "COMPLETED", output: { ok: true, failed_before: 2 } });
    expect((await client.post("/v2/flaky/runsync", { input: { fail_times: 1 } })).body.status).toBe("FAILED");
  });

  it("flaky fails with failure_rate 1 or fail: true, succeeds with failure_rate 0", async () => {
    const { client } = await startEmulator();
    expect((await client.post("/v2/flaky/runsync", { input: { failure_rate: 1 } })).body.status).toBe("FAILED");
    expect((await client.post("/v2/flaky/runsync", { input: { failure_rate: 0, fail: true } })).body.status).toBe("FAILED");
    expect((await client.post("/v2/flaky/runsync", { input: { failure_rate: 0 } })).body).toMatchObject({ status: "COMPLETED", output: { ok: true } });
    expect((await client.post("/v2/flaky/runsync", { input: { failure_rate: "often" } })).body.status).toBe("FAILED");
  });

  it("sleep waits input.ms", async () => {
    const { client } = await startEmulator();
    const reply = await client.post("/v2/sleep/runsync", { input: { ms: 120 } });
    expect(reply.body.output.slept_ms).toBeGreaterThanOrEqual(119);
    expect(reply.body.executionTime).toBeGreaterThanOrEqual(119);
  });

  it("noop returns at once, with one small file when input.file is true", async () => {
    const { client } = await startEmulator();
    expect((await client.post("/v2/noop/runsync", { input: {} })).body.output).toEqual({ ok: true });
    const withFile = await client.post("/v2/noop/runsync", { input: { file: true } });
    expect(withFile.body.output).toEqual({ ok: true, files: [{ filename: "noop.txt", content_type: "text/plain", data: expect.any(String) }] });
    expect(Buffer.from(withFile.body.output.files[0].data, "base64").toString()).toBe(`noop ${withFile.body.id}\n`);
  });
});

describe("handlers registered by module path", () => {
  it("runs a module's default export, sync or async", async () => {
    const { client } = await startEmulator({ endpoints: { custom: fastEndpoint(fixture("fail-once.ts")) } });
    expect((await client.post("/v2/custom/runsync", { input: { key: "k" } })).body.status).toBe("FAILED");
    expect((await client.post("/v2/custom/runsync", { input: { key: "k" } })).body.output).toEqual({ attempt: 2 });
  });

  it("a returned { error } fails the job and keeps the rest as output", async () => {
    const { client } = await startEmulator({ endpoints: { custom: fastEndpoint(fixture("returns-error.ts")) } });
    expect((await client.post("/v2/custom/runsync", { input: {} })).body).toMatchObject({ status: "FAILED", error: "model refused the prompt", output: { status: "failed" } });
  });

  it("refuses to start with a handler that is neither a demo worker nor a module with a default function", async () => {
    await expect(startEmulator({ endpoints: { bad: { handler: fixture("../support.ts") } } })).rejects.toThrow(/neither a demo worker/);
    await expect(startEmulator({ endpoints: { bad: { handler: "", workers: 1 } } })).rejects.toThrow(/invalid RunPod emulator config/);
  });
});
