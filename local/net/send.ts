// Sends one queued pg_net request with fetch and describes the outcome as a
// net._http_response row. Failures become rows too (never exceptions), with the
// libcurl error texts pg_net stores, so callers see the same error_msg values.

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
  const started = performance.now();
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), request.timeout_milliseconds);
  try {
    const invalid = invalidUrlReason(request.url);
    if (invalid) return failure(request.id, invalid);
    const headers = requestHeaders(request.headers);
    if (typeof headers === "string") return failure(request.id, headers);

    const response = await fetch(request.url, {
      method: request.method.toUpperCase(),
      headers,
      body: request.body ?? undefined,
      // libcurl, and so pg_net, does not follow redirects unless told to.
      redirect: "manual",
      signal: AbortSignal.any([timeout.signal, stopSignal]),
    });
    const content = await response.text();
    return {
      id: request.id,
      status_code: response.status,
      content_type: response.headers.get("content-type"),
      headers: Object.fromEntries(response.headers),
      // pg_net stores the body as a C string: empty means NULL and it ends at
      // the first NUL byte (which jsonb and text could not hold anyway).
      content: content === "" ? null : content.split("\0", 1)[0],
      timed_out: false,
      error_msg: null,
    };
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

function failure(id: string, message: string): HttpResponseRow {
  return { id, status_code: null, content_type: null, headers: null, content: null, timed_out: false, error_msg: message };
}

function invalidUrlReason(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "URL using bad/illegal format or missing URL";
  }
  return parsed.protocol === "http:" || parsed.protocol === "https:" ? null : "Unsupported protocol";
}

/**
 * Builds request headers from the queued JSON object. Keys with JSON null
 * values are dropped, as pg_net does; other non-string values are sent as their
 * JSON text (what jsonb_each_text yields). Returns an error message instead
 * when a header cannot be sent; the message names the header but never
 * includes its value, which may be a secret.
 */
function requestHeaders(queued: unknown): Headers | string {
  const headers = new Headers({ "User-Agent": userAgent });
  if (queued === null || queued === undefined) return headers;
  if (typeof queued !== "object" || Array.isArray(queued)) return "Request headers must be a JSON object";
  for (const [name, value] of Object.entries(queued)) {
    if (value === null) continue;
    try {
      headers.set(name, typeof value === "string" ? value : JSON.stringify(value));
    } catch {
      return `Invalid request header "${name}"`;
    }
  }
  return headers;
}

// fetch reports network failures as TypeError("fetch failed") with the socket
// error as its cause; the common ones are translated to libcurl's wording.
function transportErrorMessage(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = (cause as { code?: unknown } | null)?.code;
  if (code === "ECONNREFUSED") return "Couldn't connect to server";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "Couldn't resolve host name";
  return cause instanceof Error ? cause.message : String(cause);
}
