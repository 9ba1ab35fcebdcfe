// What can go wrong, as classes an app can tell apart with `instanceof` or by
// `code`. pgpod's own refusals keep the database's message.
import type { JobView } from "./types.ts";

export type PgpodErrorCode =
  | "unknown_endpoint"
  | "invalid_input"
  | "endpoint_paused"
  | "input_too_large"
  | "job_not_found"
  | "not_retryable"
  | "job_failed"
  | "job_cancelled"
  | "timeout"
  | "aborted"
  | "not_signed_in"
  | "subscription_refused"
  | "request_failed";

export class PgpodError extends Error {
  readonly code: PgpodErrorCode;

  constructor(code: PgpodErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The endpoint does not exist. */
export class UnknownEndpointError extends PgpodError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("unknown_endpoint", message, options);
  }
}

/** The input is not a JSON object, or lacks keys the endpoint's input_schema requires. */
export class InvalidInputError extends PgpodError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("invalid_input", message, options);
  }
}

/** The endpoint is paused and takes no new jobs. */
export class EndpointPausedError extends PgpodError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("endpoint_paused", message, options);
  }
}

/** The input is over the 10 MB RunPod accepts. */
export class InputTooLargeError extends PgpodError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("input_too_large", message, options);
  }
}

/** No job with this id belongs to the signed-in user. */
export class JobNotFoundError extends PgpodError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("job_not_found", message, options);
  }
}

/** `retry` of a job that is not failed or cancelled. */
export class NotRetryableError extends PgpodError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("not_retryable", message, options);
  }
}

/** `wait` saw the job fail; `job.error` says why. */
export class JobFailedError extends PgpodError {
  readonly job: JobView;

  constructor(job: JobView) {
    super("job_failed", `pgpod: job ${job.id} failed: ${job.error ?? "no error message"}`);
    this.job = job;
  }
}

/** `wait` saw the job cancelled. */
export class JobCancelledError extends PgpodError {
  readonly job: JobView;

  constructor(job: JobView) {
    super("job_cancelled", `pgpod: job ${job.id} was cancelled${job.error ? `: ${job.error}` : ""}`);
    this.job = job;
  }
}

/** `wait` gave up after `timeoutMs`; the job goes on. */
export class WaitTimeoutError extends PgpodError {
  readonly jobId: string;

  constructor(jobId: string, timeoutMs: number) {
    super("timeout", `pgpod: job ${jobId} did not finish within ${timeoutMs} ms`);
    this.jobId = jobId;
  }
}

/** The caller's AbortSignal fired; `cause` is its reason. */
export class AbortedError extends PgpodError {
  constructor(reason: unknown) {
    super("aborted", "pgpod: aborted", { cause: reason });
  }
}

/** Watching needs a signed-in user: jobs are broadcast on their owner's private topic. */
export class NotSignedInError extends PgpodError {
  constructor() {
    super("not_signed_in", "pgpod: no signed-in user; sign in before watching jobs");
  }
}

/** Realtime refused the owner's private channel (for example, its policy on realtime.messages is missing). */
export class SubscriptionRefusedError extends PgpodError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("subscription_refused", `pgpod: Realtime refused the job channel: ${message}`, options);
  }
}

/** Any other failure of the Data API or Storage; `status` and `dbCode` say what it answered. */
export class RequestFailedError extends PgpodError {
  readonly status: number | undefined;
  readonly dbCode: string | undefined;

  constructor(message: string, details: { status?: number; dbCode?: string; cause?: unknown }) {
    super("request_failed", message, { cause: details.cause });
    this.status = details.status;
    this.dbCode = details.dbCode;
  }
}

/** What supabase-js reports for a failed Data API call. */
export interface DataApiError {
  message: string;
  code?: string;
  details?: string | null;
  hint?: string | null;
}

/**
 * pgpod's refusals by SQLSTATE (the PT codes give the Data API's HTTP status;
 * the older classes are what a database without that migration raises).
 */
export function fromDataApiError(error: DataApiError, status?: number): PgpodError {
  const { message, code } = error;
  const detail = error.details ? `${message} (${error.details})` : message;
  const pgpod = message.startsWith("pgpod: ");
  if (pgpod && code === "23503" && message.includes("unknown endpoint")) return new UnknownEndpointError(message, { cause: error });
  if (pgpod && code === "22023") return new InvalidInputError(detail, { cause: error });
  if (pgpod && (code === "PT409" || code === "55000") && message.includes("is paused")) return new EndpointPausedError(message, { cause: error });
  if (pgpod && (code === "PT409" || code === "55000") && message.includes("can be retried")) return new NotRetryableError(message, { cause: error });
  if (pgpod && (code === "PT413" || code === "54000")) return new InputTooLargeError(message, { cause: error });
  if (pgpod && (code === "PT404" || code === "P0002")) return new JobNotFoundError(message, { cause: error });
  // PostgREST checks a uuid before pgpod sees it
  if (code === "22P02" && message.includes("uuid")) return new JobNotFoundError(`pgpod: ${message}`, { cause: error });
  return new RequestFailedError(`pgpod: the Data API answered ${status ?? "an error"}: ${detail}`, { status, dbCode: code, cause: error });
}
