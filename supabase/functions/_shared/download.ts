// Downloads output files that workers return as URLs, within a size and time
// limit so one large or slow file cannot exhaust the function.
import { OutputError, TransientError } from "./errors.ts";

export interface Downloaded {
  bytes: Uint8Array;
  contentType: string | undefined;
}

export interface DownloadLimits {
  maxBytes: number;
  timeoutMs: number;
}

export type Downloader = (url: string) => Promise<Downloaded>;

function permanentStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

export function downloader(limits: DownloadLimits, doFetch: typeof fetch = fetch): Downloader {
  return async (url) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), limits.timeoutMs);
    const where = new URL(url).host;
    try {
      const res = await doFetch(url, { signal: controller.signal, redirect: "follow" });
      if (!res.ok) {
        await res.body?.cancel();
        const message = `download from ${where} answered ${res.status}`;
        throw permanentStatus(res.status) ? new OutputError(message) : new TransientError(message);
      }
      const declared = Number(res.headers.get("content-length"));
      if (Number.isFinite(declared) && declared > limits.maxBytes) {
        await res.body?.cancel();
        throw new OutputError(`download from ${where} is ${declared} bytes, over the ${limits.maxBytes}-byte limit`);
      }
      const chunks: Uint8Array[] = [];
      let size = 0;
      if (res.body) {
        for await (const chunk of res.body) {
          size += chunk.byteLength;
          if (size > limits.maxBytes) {
            controller.abort();
            throw new OutputError(`download from ${where} is over the ${limits.maxBytes}-byte limit`);
          }
          chunks.push(chunk);
        }
      }
      const bytes = new Uint8Array(size);
      let offset = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, offset);
        offset += chunk.byteLength;
      }
      return { bytes, contentType: res.headers.get("content-type") ?? undefined };
    } catch (error) {
      if (error instanceof OutputError || error instanceof TransientError) throw error;
      if (controller.signal.aborted) throw new TransientError(`download from ${where} took longer than ${limits.timeoutMs} ms`);
      throw new TransientError(`download from ${where} failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      clearTimeout(timer);
    }
  };
}
