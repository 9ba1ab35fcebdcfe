import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downloader, maxRedirects } from "../../supabase/functions/_shared/download.ts";
import { OutputError, TransientError } from "../../supabase/functions/_shared/errors.ts";
import { nonPublicReason, type Resolve, urlGuard } from "../../supabase/functions/_shared/public-url.ts";
import { BodyTooLarge, mapLimited, readBytes, readText } from "../../supabase/functions/_shared/http.ts";
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

// The test server is on loopback: it is reachable only because its origin is listed.
// A generous timeout, so a loaded machine cannot fail the tests that are not about it.
const downloadWithin = (timeoutMs: number) => (url: string) =>
  downloader({ maxBytes: 50, timeoutMs }, urlGuard({ allowedOrigins: [server.url] }))(url);
const download = downloadWithin(5_000);

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
    await expect(downloadWithin(300)(`${server.url}/slow`)).rejects.toThrow(new TransientError(`download from ${new URL(server.url).host} took longer than 300 ms`));
    const unreachable = downloader({ maxBytes: 50, timeoutMs: 300 }, urlGuard({ allowedOrigins: ["http://127.0.0.1:1"] }));
    await expect(unreachable("http://127.0.0.1:1/x")).rejects.toThrow(TransientError);
  });
});

/** Names and what they resolve to; nothing here reaches DNS or the network. */
const names: Record<string, string[]> = {
  "files.example": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
  "localhost": ["127.0.0.1", "::1"],
  "metadata.example": ["169.254.169.254"],
  "mixed.example": ["93.184.216.34", "10.0.0.7"],
  "next.example": ["151.101.1.1"],
};
const fakeResolve: Resolve = async (host) => {
  if (names[host]) return names[host];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
};

/** A fetch that answers from a table by URL and records what it was asked. */
function fakeFetch(answers: Record<string, () => Response>) {
  const asked: string[] = [];
  const doFetch = (async (input: URL | string) => {
    const url = String(input);
    asked.push(url);
    const answer = answers[url];
    if (!answer) throw new Error(`test fetch: nothing planned for ${url}`);
    return answer();
  }) as typeof fetch;
  return { asked, doFetch };
}

const png = () => new Response(new Uint8Array([0x89, 0x50, 0x4e, 0x47]), { headers: { "content-type": "image/png" } });
const redirect = (location: string, status = 302) => () => new Response(null, { status, headers: { location } });

describe("public addresses only", () => {
  const guard = urlGuard({ allowedOrigins: [], resolve: fakeResolve });

  it.each([
    ["http://files.example/a.png", "only https URLs are fetched"],
    ["https://127.0.0.1/a.png", "127.0.0.1 is a loopback address"],
    ["https://localhost:5432/", "localhost resolves to 127.0.0.1, a loopback address"],
    ["https://0.0.0.0/", "0.0.0.0 is an unspecified (this-network) address"],
    ["https://[::ffff:127.0.0.1]/", "[::ffff:7f00:1] is an IPv4-mapped address"],
    ["https://2130706433/", "127.0.0.1 is a loopback address"],
    ["https://0x7f.1/", "127.0.0.1 is a loopback address"],
    ["https://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"],
    ["https://metadata.example/", "metadata.example resolves to 169.254.169.254, a link-local address"],
    ["https://10.1.2.3/", "10.1.2.3 is a private address"],
    ["https://172.16.0.1/", "172.16.0.1 is a private address"],
    ["https://192.168.1.1/", "192.168.1.1 is a private address"],
    ["https://100.64.0.1/", "100.64.0.1 is a shared (carrier-grade NAT) address"],
    ["https://224.0.0.1/", "224.0.0.1 is a multicast address"],
    ["https://[::1]/", "[::1] is a loopback address"],
    ["https://[::]/", "[::] is an unspecified address"],
    ["https://[fd12:3456::1]/", "[fd12:3456::1] is a unique-local address"],
    ["https://[fe80::1]/", "[fe80::1] is a link-local address"],
    ["https://[ff02::1]/", "[ff02::1] is a multicast address"],
    ["https://[64:ff9b::a00:1]/", "[64:ff9b::a00:1] is a NAT64 address"],
    ["https://mixed.example/", "mixed.example resolves to 10.0.0.7, a private address"],
    ["https://nowhere.example/", "nowhere.example does not resolve"],
    ["https://user:pw@files.example/", "URLs with credentials are not fetched"],
  ])("refuses %s", async (url, why) => {
    const { asked, doFetch } = fakeFetch({});
    const download = downloader({ maxBytes: 50, timeoutMs: 300 }, guard, doFetch);
    await expect(download(url)).rejects.toThrow(new OutputError(`refused to fetch ${new URL(url).origin}: ${why}`));
    expect(asked).toEqual([]);
  });

  it("fetches a public https URL", async () => {
    const { asked, doFetch } = fakeFetch({ "https://files.example/a.png": png });
    const got = await downloader({ maxBytes: 50, timeoutMs: 300 }, guard, doFetch)("https://files.example/a.png");
    expect(got.contentType).toBe("image/png");
    expect(asked).toEqual(["https://files.example/a.png"]);
  });

  it("follows redirects by hand and checks every hop", async () => {
    const { asked, doFetch } = fakeFetch({
      "https://files.example/a.png": redirect("https://next.example/b.png", 301),
      "https://next.example/b.png": redirect("/c.png", 307),
      "https://next.example/c.png": png,
      "https://files.example/evil": redirect("http://169.254.169.254/latest/meta-data/"),
      "https://files.example/evil-https": redirect("https://localhost/admin"),
    });
    const download = downloader({ maxBytes: 50, timeoutMs: 300 }, guard, doFetch);
    expect((await download("https://files.example/a.png")).contentType).toBe("image/png");
    expect(asked).toEqual(["https://files.example/a.png", "https://next.example/b.png", "https://next.example/c.png"]);
    await expect(download("https://files.example/evil")).rejects.toThrow("refused to fetch http://169.254.169.254: only https URLs are fetched");
    await expect(download("https://files.example/evil-https")).rejects.toThrow(
      "refused to fetch https://localhost: localhost resolves to 127.0.0.1, a loopback address",
    );
    expect(asked).not.toContain("https://localhost/admin");
  });

  it(`gives up after ${maxRedirects} redirects`, async () => {
    const loop: Record<string, () => Response> = {};
    for (let i = 0; i <= maxRedirects; i++) loop[`https://files.example/${i}`] = redirect(`https://files.example/${i + 1}`);
    const { asked, doFetch } = fakeFetch(loop);
    await expect(downloader({ maxBytes: 50, timeoutMs: 300 }, guard, doFetch)("https://files.example/0")).rejects.toThrow(
      new OutputError(`download from files.example redirected more than ${maxRedirects} times`),
    );
    expect(asked).toHaveLength(maxRedirects + 1);
  });

  it("lets only the listed origins through unchecked, port and scheme included", async () => {
    const listed = urlGuard({ allowedOrigins: ["http://127.0.0.1:54331"], resolve: fakeResolve });
    await expect(listed(new URL("http://127.0.0.1:54331/files/x.png"))).resolves.toBeUndefined();
    await expect(listed(new URL("http://127.0.0.1:54322/"))).rejects.toThrow("only https URLs are fetched");
    await expect(listed(new URL("https://127.0.0.1:54331/"))).rejects.toThrow("127.0.0.1 is a loopback address");
  });

  it("names public addresses public", () => {
    for (const address of ["93.184.216.34", "8.8.8.8", "2606:2800:220:1:248:1893:25c8:1946", "2a00:1450:4001::200e"]) {
      expect(nonPublicReason(address)).toBeNull();
    }
    expect(nonPublicReason("not-an-ip")).toBe("not an IP address");
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

  it("reads a byte stream straight into one buffer, several MB at a time or of unknown length, up to the limit", async () => {
    const bytes = Uint8Array.from({ length: 3 * 1024 * 1024 + 5 }, (_, i) => (i * 7919) % 256);
    // with its length declared: one buffer of that size, filled a piece at a time
    const declared = new Request("http://x/", { method: "POST", body: bytes, headers: { "content-length": String(bytes.length) } });
    expect(Buffer.from(await readBytes(declared, bytes.length)).equals(Buffer.from(bytes))).toBe(true);
    // a byte stream without a length: the buffer grows from 64 KiB
    const stream = () =>
      new ReadableStream({
        type: "bytes",
        start(controller) {
          for (let at = 0; at < bytes.length; at += 100_000) controller.enqueue(bytes.slice(at, at + 100_000));
          controller.close();
        },
      });
    // @ts-expect-error Node needs this to send a stream without a length.
    const unknown = (limit: number) => readBytes(new Request("http://x/", { method: "POST", body: stream(), duplex: "half" }), limit);
    expect(Buffer.from(await unknown(bytes.length)).equals(Buffer.from(bytes))).toBe(true);
    await expect(unknown(bytes.length - 1)).rejects.toThrow(`body is over the ${bytes.length - 1}-byte limit`);
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
