/** A job as the emulator keeps it, and the bodies the cloud shows for it. */

export type JobStatus = "IN_QUEUE" | "IN_PROGRESS" | "COMPLETED" | "FAILED" | "CANCELLED" | "TIMED_OUT";
export type TerminalStatus = Exclude<JobStatus, "IN_QUEUE" | "IN_PROGRESS">;

export function isTerminal(status: JobStatus): status is TerminalStatus {
  return status !== "IN_QUEUE" && status !== "IN_PROGRESS";
}

export interface Job {
  id: string;
  endpointId: string;
  kind: "run" | "runsync";
  input: unknown;
  webhook?: string;
  lowPriority: boolean;
  executionTimeoutMs: number;
  ttlMs: number;
  status: JobStatus;
  queuedAt: number;
  startedAt?: number;
  finishedAt?: number;
  output?: unknown;
  error?: string;
  /** Set by GET /status?ttl=: keep the result for this long instead of the retention window. */
  resultTtlMs?: number;
  /** Cancel functions of the job's pending timers. */
  timers: Partial<Record<"ttl" | "retention" | "execution", () => void>>;
}

/** The body of /status, /runsync and (plus input and webhook) the webhook. */
export function statusBody(job: Job): Record<string, unknown> {
  const body: Record<string, unknown> = { id: job.id, status: job.status };
  if (job.startedAt !== undefined || job.finishedAt !== undefined) {
    body.delayTime = (job.startedAt ?? job.finishedAt!) - job.queuedAt;
  }
  if (job.finishedAt !== undefined) {
    body.executionTime = job.startedAt === undefined ? 0 : job.finishedAt - job.startedAt;
  }
  if (job.output !== undefined) body.output = job.output;
  if (job.error !== undefined) body.error = job.error;
  return body;
}

export function webhookBody(job: Job): Record<string, unknown> {
  return { ...statusBody(job), input: job.input, webhook: job.webhook };
}
