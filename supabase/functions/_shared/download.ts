// Downloads output files that workers return as URLs, within a size and time
// limit so one large or slow file cannot exhaust the function. Every URL, and
// every redirect it leads to, passes the public-address check first.
import { OutputError, TransientError } from "./errors.ts";
import type { UrlGuard } from "./public-url.ts";

export interface Downloaded {
  bytes: Uint8Array;
  contentType: string | undefined;
}

export interface DownloadLimits {
  maxBytes: number;
  timeoutMs: number;
}

/** Redirects followed per download, each checked like the first URL. */
export const maxRedirects = 3;

export type Downloader = (url: string) => Promise<Downloaded>;

function permanentStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

export function downloader(limits: DownloadLimits, guard: UrlGuard, doFetch: typeof fetch = fetch): Downloader {
  return async (url) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), limits.timeoutMs);
    let target = new URL(url);
    let where = target.host;
    try {
      let res: Response;
      for (let hops = 0;; hops++) {
        await guard(target);
        res = await doFetch(target, { signal: controller.signal, redirect: "manual" });
        if (!isRedirect(res.status)) break;
        await res.body?.cancel();
        const location = res.headers.get("location");
        if (location === null) throw new OutputError(`download from ${where} answered ${res.status} without a Location`);
        if (hops >= maxRedirects) throw new OutputError(`download from ${where} redirected more than ${maxRedirects} times`);
        target = new URL(location, target);
        where = target.host;
      }
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
