// Sends one queued pg_net request the way pg_net's libcurl handle does and
// describes the outcome as a net._http_response row. Failures become rows too
// (never exceptions), with the libcurl error texts pg_net stores, so callers
// see the same error_msg values. node:http rather than fetch, because fetch
// adds headers of its own and lowercases the names of the response headers,
// which pg_net stores as the server sent them.
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";

export interface QueuedRequest {
  id: string;
  method: string;
  url: string;
  headers: unknown;
  body: Uint8Array<ArrayBuffer> | null;
  timeout_milliseconds: number;
}

export interface HttpResponseRow {
  id: string;
  status_code: number | null;
  content_type: string | null;
  headers: Record<string, string> | null;
  content: string | null;
  timed_out: boolean;
  error_msg: string | null;
}

const userAgent = "pg_net/0.20 (pgpod local)";

/**
 * Performs the request. `stopSignal` aborts it when the worker stops; the
 * request's own timeout covers the whole exchange, body included, like
 * libcurl's CURLOPT_TIMEOUT_MS.
 */
export async function sendRequest(request: QueuedRequest, stopSignal: AbortSignal): Promise<HttpResponseRow> {
  const url = parseUrl(request.url);
  if (typeof url === "string") return failure(request.id, url);
  const headers = requestHeaders(request);
  if (typeof headers === "string") return failure(request.id, headers);

  const started = performance.now();
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), request.timeout_milliseconds);
  try {
    // libcurl, as pg_net 0.20 sets it up, does not follow redirects.
    const response = await exchange(url, request, headers, AbortSignal.any([timeout.signal, stopSignal]));
    return { id: request.id, timed_out: false, error_msg: null, ...response };
  } catch (error) {
    if (timeout.signal.aborted) {
      const total = (performance.now() - started).toFixed(3);
      return {
        ...failure(request.id, `Timeout of ${request.timeout_milliseconds} ms reached. Total time: ${total} ms`),
        timed_out: true,
      };
    }
    if (stopSignal.aborted) return failure(request.id, "Request aborted: the pg_net worker stopped before the response arrived");
    return failure(request.id, transportErrorMessage(error));
  } finally {
    clearTimeout(timer);
  }
}

type ResponseParts = Pick<HttpResponseRow, "status_code" | "content_type" | "headers" | "content">;

function exchange(url: URL, request: QueuedRequest, headers: [string, string][], signal: AbortSignal): Promise<ResponseParts> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const outgoing = send(url, { method: request.method.toUpperCase(), headers: Object.fromEntries(headers), signal }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () => {
        const content = Buffer.concat(chunks).toString("utf8");
        resolve({
          status_code: response.statusCode ?? null,
          content_type: response.headers["content-type"] ?? null,
          headers: headersAsSent(response),
          // pg_net stores the body as a C string: empty means NULL and it ends at
          // the first NUL byte (which jsonb and text could not hold anyway).
          content: content === "" ? null : content.split("\0", 1)[0],
        });
      });
    });
    outgoing.on("error", reject);
    outgoing.end(request.body ?? undefined);
  });
}

/** Response header names as the server wrote them; a repeated name keeps its last value, as in pg_net's jsonb. */
function headersAsSent(response: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i < response.rawHeaders.length; i += 2) headers[response.rawHeaders[i]] = response.rawHeaders[i + 1];
  return headers;
}

function failure(id: string, message: string): HttpResponseRow {
  return { id, status_code: null, content_type: null, headers: null, content: null, timed_out: false, error_msg: message };
}

// The request functions already refuse what libcurl cannot parse; this covers
// rows inserted straight into the queue. pg_net allows only http and https.
function parseUrl(url: string): URL | string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "URL using bad/illegal format or missing URL";
  }
  return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed : "Unsupported protocol";
}

/**
 * Builds the header lines from the queued JSON object. Keys with JSON null
 * values are dropped, as pg_net does; other non-string values are sent as their
 * JSON text (what jsonb_each_text yields). pg_net adds its User-Agent only when
 * the request has headers (NULL headers get libcurl's bare defaults), and a
 * body without a Content-Type goes out as libcurl's default form type. Returns
 * an error message instead when a header cannot be sent; the message names the
 * header but never includes its value, which may be a secret.
 */
function requestHeaders(request: QueuedRequest): [string, string][] | string {
  const queued = request.headers;
  const lines: [string, string][] = [];
  if (queued !== null && queued !== undefined) {
    if (typeof queued !== "object" || Array.isArray(queued)) return "Request headers must be a JSON object";
    for (const [name, value] of Object.entries(queued)) {
      if (value === null) continue;
      const text = typeof value === "string" ? value : JSON.stringify(value);
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || /[\r\n\0]/.test(text)) return `Invalid request header "${name}"`;
      lines.push([name, text]);
    }
    lines.push(["User-Agent", userAgent]);
  }
  const has = (header: string) => lines.some(([name]) => name.toLowerCase() === header);
  if (!has("accept")) lines.unshift(["Accept", "*/*"]);
  if (request.body !== null || request.method.toUpperCase() === "POST") {
    if (!has("content-type")) lines.push(["Content-Type", "application/x-www-form-urlencoded"]);
    lines.push(["Content-Length", String(request.body?.byteLength ?? 0)]);
  }
  return lines;
}

// Node reports network failures with the socket error's code; the common ones
// are translated to libcurl's wording.
function transportErrorMessage(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ECONNREFUSED") return "Couldn't connect to server";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "Couldn't resolve host name";
  return error instanceof Error ? error.message : String(error);
}
