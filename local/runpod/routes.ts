import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { EmulatorSettings } from "./config.ts";
import type { Emulator, EndpointEntry } from "./emulator.ts";
import type { SubmitRequest } from "./endpoint.ts";
import { parseJsonObject, readBody, sendJson } from "./http.ts";
import { statusBody } from "./jobs.ts";

type RateLimitedOp = Exclude<keyof EmulatorSettings["rateLimits"], "windowMs">;

interface Route {
  method: "GET" | "POST";
  /** Whether the path ends with a job id. */
  withJobId: boolean;
  rateLimit?: RateLimitedOp;
  bodyLimit?: keyof EmulatorSettings["bodyLimits"];
  handle: (ctx: RouteContext) => Promise<void> | void;
}

interface RouteContext {
  emulator: Emulator;
  entry: EndpointEntry;
  jobId: string;
  url: URL;
  body: string;
  res: ServerResponse;
}

const policySchema = z.object({
  executionTimeout: z.number().int().min(0).optional(),
  ttl: z.number().int().min(0).optional(),
  lowPriority: z.boolean().optional(),
});
const submitSchema = z.object({
  webhook: z.url({ protocol: /^https?$/ }).optional(),
  policy: policySchema.optional(),
});

const notFound = (res: ServerResponse, what: string) => sendJson(res, 404, { error: `${what} not found` });

/** Parses a /run or /runsync body; answers 400 and returns undefined when it is not acceptable. */
function parseSubmit(text: string, res: ServerResponse): SubmitRequest | undefined {
  const body = parseJsonObject(text);
  if (!body) {
    sendJson(res, 400, { error: "request body must be a JSON object" });
    return undefined;
  }
  if (body.input === undefined || body.input === null) {
    sendJson(res, 400, { error: "input is required" });
    return undefined;
  }
  const parsed = submitSchema.safeParse(body);
  if (!parsed.success) {
    sendJson(res, 400, { error: z.prettifyError(parsed.error) });
    return undefined;
  }
  return { input: body.input, ...parsed.data };
}

/** ?wait= for /runsync and /status-sync, clamped to the cloud's range. */
function waitMs(url: URL, bounds: EmulatorSettings["runsyncWait"]): number {
  const asked = Number(url.searchParams.get("wait") ?? bounds.defaultMs);
  return Math.min(bounds.maxMs, Math.max(bounds.minMs, Number.isFinite(asked) ? asked : bounds.defaultMs));
}

const routes: Record<string, Route> = {
  run: {
    method: "POST",
    withJobId: false,
    rateLimit: "run",
    bodyLimit: "runBytes",
    async handle({ emulator, entry, body, res }) {
      const request = parseSubmit(body, res);
      if (!request) return;
      const { faults, counters, endpoint } = entry;
      if (emulator.dice.chance(faults.runErrorRate)) {
        counters.faultRunErrors++;
        return sendJson(res, faults.runErrorStatus, { error: `injected fault: HTTP ${faults.runErrorStatus}` });
      }
      const job = endpoint.submit(request, "run");
      if (emulator.dice.chance(faults.runHangRate)) {
        // The job is queued, but the caller hears nothing until it has given up.
        counters.faultRunHangs++;
        await emulator.timers.wait(faults.runHangMs);
      }
      sendJson(res, 200, { id: job.id, status: "IN_QUEUE" });
    },
  },
  runsync: {
    method: "POST",
    withJobId: false,
    rateLimit: "runsync",
    bodyLimit: "runsyncBytes",
    async handle({ emulator, entry, url, body, res }) {
      const request = parseSubmit(body, res);
      if (!request) return;
      const { endpoint } = entry;
      const job = endpoint.submit(request, "runsync");
      await endpoint.waitForEnd(job, waitMs(url, emulator.settings().runsyncWait));
      sendJson(res, 200, statusBody(job));
    },
  },
  status: {
    method: "GET",
    withJobId: true,
    rateLimit: "status",
    handle({ entry, jobId, url, res }) {
      const { endpoint } = entry;
      const job = endpoint.get(jobId);
      if (!job) return notFound(res, "job");
      const ttl = Number(url.searchParams.get("ttl") ?? Number.NaN);
      if (Number.isInteger(ttl) && ttl >= 0) endpoint.setResultTtl(job, ttl);
      sendJson(res, 200, statusBody(job));
    },
  },
  // Long-poll variant of /status used by the js and go SDKs (no longer in the docs).
  "status-sync": {
    method: "GET",
    withJobId: true,
    rateLimit: "status",
    async handle({ emulator, entry, jobId, url, res }) {
      const { endpoint } = entry;
      const job = endpoint.get(jobId);
      if (!job) return notFound(res, "job");
      await endpoint.waitForEnd(job, waitMs(url, emulator.settings().runsyncWait));
      sendJson(res, 200, statusBody(job));
    },
  },
  cancel: {
    method: "POST",
    withJobId: true,
    rateLimit: "cancel",
    handle({ entry, jobId, res }) {
      const job = entry.endpoint.cancel(jobId);
      if (!job) return notFound(res, "job");
      sendJson(res, 200, { id: job.id, status: job.status });
    },
  },
  retry: {
    method: "POST",
    withJobId: true,
    handle({ entry, jobId, res }) {
      const { endpoint } = entry;
      const status = endpoint.get(jobId)?.status;
      const job = endpoint.retry(jobId);
      if (!job) return notFound(res, "job");
      if (job === "not-retryable") return sendJson(res, 400, { error: `job is ${status}; only FAILED or TIMED_OUT jobs can be retried` });
      // Like /run, the answer reports the requeue even when a warm worker took the job at once.
      sendJson(res, 200, { id: job.id, status: "IN_QUEUE" });
    },
  },
  "purge-queue": {
    method: "POST",
    withJobId: false,
    rateLimit: "purgeQueue",
    handle({ entry, res }) {
      sendJson(res, 200, { removed: entry.endpoint.purgeQueue(), status: "completed" });
    },
  },
  health: {
    method: "GET",
    withJobId: false,
    handle({ entry, res }) {
      sendJson(res, 200, entry.endpoint.health());
    },
  },
};

/** Serves /v2/{endpointId}/{operation}[/{jobId}]; parts are the path segments after /v2. */
export async function handleApi(emulator: Emulator, req: IncomingMessage, res: ServerResponse, parts: string[], url: URL): Promise<void> {
  const [endpointId = "", operation = "", jobId = "", ...rest] = parts;
  const entry = emulator.findEntry(endpointId);
  if (!entry) return notFound(res, `endpoint ${endpointId}`);
  const route = Object.hasOwn(routes, operation) ? routes[operation] : undefined;
  if (!route || rest.length > 0 || (jobId !== "") !== route.withJobId) return notFound(res, `route ${url.pathname}`);
  entry.counters.requests++;
  if (req.method !== route.method) return sendJson(res, 405, { error: `use ${route.method} for /${operation}` });

  const settings = emulator.settings();
  if (route.rateLimit && !emulator.rateLimiter.take(`${endpointId}:${route.rateLimit}`, settings.rateLimits[route.rateLimit], settings.rateLimits.windowMs)) {
    entry.counters.rateLimited++;
    return sendJson(res, 429, { error: `rate limit for /${operation} exceeded` });
  }
  const body = await readBody(req, settings.bodyLimits[route.bodyLimit ?? "otherBytes"]);
  if (!body.ok) return sendJson(res, 413, { error: `request body is larger than ${settings.bodyLimits[route.bodyLimit ?? "otherBytes"]} bytes` });
  await route.handle({ emulator, entry, jobId, url, body: body.text, res });
}
