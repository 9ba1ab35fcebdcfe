// RunPod Serverless API on plain fetch. Every call makes exactly one request
// with its own timeout and reports what happened; whether and when to try
// again is decided in SQL (release_run's backoff), never here.

export interface RunpodEndpoint {
  /** e.g. https://api.runpod.ai/v2 */
  apiBase: string;
  runpodEndpointId: string;
}

export interface RunPolicy {
  executionTimeout?: number;
  ttl?: number;
  lowPriority?: boolean;
}

export interface RunRequest {
  input: unknown;
  webhook: string;
  policy: RunPolicy;
}

/** How one request ended. Only `ok` carries a body. */
export type RunpodReply<T> =
  | { kind: "ok"; status: number; body: T }
  /** 429: over RunPod's rate limit. */
  | { kind: "rate_limited"; status: 429; retryAfterS: number | null }
  /** 5xx, or a 2xx whose body is not what the API documents. */
  | { kind: "server_error"; status: number; message: string }
  /** 404 on a job: unknown, expired or removed by its TTL. */
  | { kind: "not_found"; status: 404 }
  /** Any other 4xx: the request itself is wrong, sending it again will not help. */
  | { kind: "rejected"; status: number; message: string }
  | { kind: "network"; message: string }
  | { kind: "timeout"; message: string };

export interface JobStatusBody {
  id: string;
  status: string;
  [key: string]: unknown;
}

export interface RunpodClient {
  run(endpoint: RunpodEndpoint, request: RunRequest): Promise<RunpodReply<{ id: string; status: string }>>;
  status(endpoint: RunpodEndpoint, jobId: string): Promise<RunpodReply<JobStatusBody>>;
  cancel(endpoint: RunpodEndpoint, jobId: string): Promise<RunpodReply<JobStatusBody>>;
}

export interface RunpodClientOptions {
  apiKey: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** A short, log-safe excerpt of an error body. */
async function excerpt(res: Response): Promise<string> {
  const text = await res.text().catch(() => "");
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function retryAfter(res: Response): number | null {
  const header = res.headers.get("retry-after");
  const value = header === null || header.trim() === "" ? NaN : Number(header);
  return Number.isFinite(value) && value >= 0 ? value : null;
}

function hasJobId(body: unknown): body is JobStatusBody {
  return typeof body === "object" && body !== null && typeof (body as JobStatusBody).id === "string" &&
    typeof (body as JobStatusBody).status === "string";
}

export function runpodClient(options: RunpodClientOptions): RunpodClient {
  const doFetch = options.fetch ?? fetch;

  async function call(endpoint: RunpodEndpoint, method: string, path: string, body?: unknown): Promise<RunpodReply<JobStatusBody>> {
    const url = `${endpoint.apiBase.replace(/\/+$/, "")}/${encodeURIComponent(endpoint.runpodEndpointId)}${path}`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), options.timeoutMs);
    try {
      const res = await doFetch(url, {
        method,
        headers: {
          authorization: `Bearer ${options.apiKey}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
      });
      if (res.status === 429) {
        await res.body?.cancel();
        return { kind: "rate_limited", status: 429, retryAfterS: retryAfter(res) };
      }
      if (res.status === 404) {
        await res.body?.cancel();
        return { kind: "not_found", status: 404 };
      }
      if (res.status >= 500) return { kind: "server_error", status: res.status, message: await excerpt(res) };
      if (res.status < 200 || res.status > 299) {
        return { kind: "rejected", status: res.status, message: await excerpt(res) };
      }
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return { kind: "server_error", status: res.status, message: `response is not JSON: ${text.slice(0, 200)}` };
      }
      if (!hasJobId(parsed)) {
        return { kind: "server_error", status: res.status, message: "response has no job id and status" };
      }
      return { kind: "ok", status: res.status, body: parsed };
    } catch (error) {
      if (controller.signal.aborted) return { kind: "timeout", message: `${method} ${path} gave no answer within ${options.timeoutMs} ms` };
      return { kind: "network", message: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    run: (endpoint, request) => call(endpoint, "POST", "/run", request),
    status: (endpoint, jobId) => call(endpoint, "GET", `/status/${encodeURIComponent(jobId)}`),
    cancel: (endpoint, jobId) => call(endpoint, "POST", `/cancel/${encodeURIComponent(jobId)}`),
  };
}

/** A single-line description of a failed reply, for release reasons and logs. */
export function describeFailure(reply: Exclude<RunpodReply<unknown>, { kind: "ok" }>): string {
  switch (reply.kind) {
    case "rate_limited":
      return "RunPod answered 429 (rate limited)";
    case "not_found":
      return "RunPod answered 404";
    case "server_error":
    case "rejected":
      return `RunPod answered ${reply.status}: ${reply.message}`;
    case "network":
      return `network error: ${reply.message}`;
    case "timeout":
      return reply.message;
  }
}
