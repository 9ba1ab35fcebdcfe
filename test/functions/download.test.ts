import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downloader } from "../../supabase/functions/_shared/download.ts";
import { OutputError, TransientError } from "../../supabase/functions/_shared/errors.ts";
import { BodyTooLarge, mapLimited, readText } from "../../supabase/functions/_shared/http.ts";
import { localServer } from "./local-server.ts";

let server: Awaited<ReturnType<typeof localServer>>;

beforeAll(async () => {
  server = await localServer((req, res) => {
    switch (req.url) {
      case "/small.png":
        return res.writeHead(200, { "content-type": "image/png" }).end(Buffer.alloc(10, 1));
      case "/big":
        return res.writeHead(200, { "content-length": "100" }).end(Buffer.alloc(100));
      case "/big-chunked":
        res.writeHead(200);
        res.write(Buffer.alloc(60));
        return res.end(Buffer.alloc(60));
      case "/missing":
        return res.writeHead(404).end();
      case "/busy":
        return res.writeHead(429).end();
      case "/broken":
        return res.writeHead(502).end();
      case "/slow":
        return; // never answers
    }
  });
});

afterAll(() => server.close());

const download = downloader({ maxBytes: 50, timeoutMs: 300 });

describe("output downloads", () => {
  it("returns the bytes and the host's content type", async () => {
    const got = await download(`${server.url}/small.png`);
    expect(Array.from(got.bytes)).toEqual(Array(10).fill(1));
    expect(got.contentType).toBe("image/png");
  });

  it("refuses files over the limit, whether declared or streamed", async () => {
    await expect(download(`${server.url}/big`)).rejects.toThrow(new OutputError(`download from ${new URL(server.url).host} is 100 bytes, over the 50-byte limit`));
    await expect(download(`${server.url}/big-chunked`)).rejects.toThrow(OutputError);
  });

  it("treats a 4xx as the output's fault and 429, 5xx and timeouts as transient", async () => {
    await expect(download(`${server.url}/missing`)).rejects.toThrow(OutputError);
    await expect(download(`${server.url}/busy`)).rejects.toThrow(TransientError);
    await expect(download(`${server.url}/broken`)).rejects.toThrow(TransientError);
    await expect(download(`${server.url}/slow`)).rejects.toThrow(new TransientError(`download from ${new URL(server.url).host} took longer than 300 ms`));
    await expect(download("http://127.0.0.1:1/x")).rejects.toThrow(TransientError);
  });
});

describe("request bodies and parallelism", () => {
  it("reads a body up to the limit and refuses one past it", async () => {
    expect(await readText(new Request("http://x/", { method: "POST", body: "héllo" }), 6)).toBe("héllo");
    await expect(readText(new Request("http://x/", { method: "POST", body: "héllo!" }), 6)).rejects.toThrow(BodyTooLarge);
    expect(await readText(new Request("http://x/"), 6)).toBe("");
  });

  it("reads a streamed body of unknown length in many chunks, a character split across two of them intact", async () => {
    const text = `${"a".repeat(100_000)}é${"b".repeat(100_000)}`;
    const bytes = new TextEncoder().encode(text);
    const cuts = [0, 50_000, 100_001, bytes.length];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 1; i < cuts.length; i++) controller.enqueue(bytes.slice(cuts[i - 1], cuts[i]));
        controller.close();
      },
    });
    // @ts-expect-error Node needs this to send a stream without a length.
    const req = new Request("http://x/", { method: "POST", body, duplex: "half" });
    expect(req.headers.get("content-length")).toBeNull();
    expect(await readText(req, bytes.length)).toBe(text);
  });

  it("keeps at most `limit` tasks in flight and results in order", async () => {
    let active = 0;
    let peak = 0;
    const results = await mapLimited([5, 1, 4, 2, 3], 2, async (n) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, n * 5));
      active--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
    expect(await mapLimited([], 3, async () => 1)).toEqual([]);
  });
});
