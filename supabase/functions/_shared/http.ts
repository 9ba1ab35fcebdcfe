// Small HTTP helpers shared by both handlers.

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

export class BodyTooLarge extends Error {
  override name = "BodyTooLarge";
}

/**
 * Reads a request body into one buffer, refusing it as soon as it passes
 * maxBytes, so an oversized body is never held in memory whole. Webhook
 * bodies carry base64 files of tens of MB, and every extra copy counts
 * against the function's 256 MB.
 */
export async function readBytes(req: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await req.body?.cancel();
    throw new BodyTooLarge(`body is ${declared} bytes, over the ${maxBytes}-byte limit`);
  }
  if (!req.body) return new Uint8Array(0);
  const initial = declared > 0 ? declared : 64 * 1024;
  let byob: ReadableStreamBYOBReader;
  try {
    byob = req.body.getReader({ mode: "byob" });
  } catch {
    // not a byte stream: it can only hand over chunks it allocated
    return await readChunks(req.body.getReader(), initial, maxBytes);
  }
  return await readInPlace(byob, initial, maxBytes);
}

/**
 * Bytes asked for per read. Deno sets aside a buffer of the size asked for
 * before copying into the reader's: asking for all the rest at once keeps
 * about one more body's worth resident.
 */
const readPieceBytes = 1024 * 1024;

/**
 * Has the runtime write the body straight into one buffer. Read chunk by
 * chunk, a body of tens of MB leaves as many MB of chunks behind, freed only
 * by a garbage collection that does not come before the files are decoded.
 */
async function readInPlace(reader: ReadableStreamBYOBReader, initial: number, maxBytes: number): Promise<Uint8Array> {
  // One byte more than the limit: room left after the last read tells a body that ends from one that goes on.
  let buffer = new ArrayBuffer(Math.min(initial, maxBytes) + 1);
  let size = 0;
  for (;;) {
    if (size === buffer.byteLength) {
      const grown = new Uint8Array(Math.min(maxBytes + 1, buffer.byteLength * 2));
      grown.set(new Uint8Array(buffer));
      buffer = grown.buffer;
    }
    // The reader takes the buffer over and hands it back holding what it read.
    const { done, value } = await reader.read(new Uint8Array(buffer, size, Math.min(readPieceBytes, buffer.byteLength - size)));
    if (done) return new Uint8Array(value?.buffer ?? buffer, 0, size);
    buffer = value.buffer;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new BodyTooLarge(`body is over the ${maxBytes}-byte limit`);
    }
  }
}

async function readChunks(reader: ReadableStreamDefaultReader<Uint8Array>, initial: number, maxBytes: number): Promise<Uint8Array> {
  let buffer = new Uint8Array(initial);
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > maxBytes) {
      await reader.cancel();
      throw new BodyTooLarge(`body is over the ${maxBytes}-byte limit`);
    }
    if (size + value.byteLength > buffer.byteLength) {
      const grown = new Uint8Array(Math.min(maxBytes, Math.max(buffer.byteLength * 2, size + value.byteLength)));
      grown.set(buffer.subarray(0, size));
      buffer = grown;
    }
    buffer.set(value, size);
    size += value.byteLength;
  }
  return buffer.subarray(0, size);
}

/** The body as text, with readBytes' limit. */
export async function readText(req: Request, maxBytes: number): Promise<string> {
  return new TextDecoder().decode(await readBytes(req, maxBytes));
}

/** Runs task over items with at most `limit` in flight; results keep the items' order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
