// zod schemas for every body the functions read: RunPod's results, the
// webhook's query string and the dispatcher's request.
import { z } from "zod";

/**
 * A RunPod /status body, which is also what the webhook receives (plus the
 * echoed input and webhook URL). Unknown fields are kept: RunPod adds fields
 * without notice and complete_runs stores what it needs.
 */
/** RunPod's ids and statuses are short printable strings; anything else is not a RunPod body. */
const token = z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");

export const runpodResultSchema = z.looseObject({
  id: token,
  status: token,
  output: z.unknown().optional(),
  error: z.unknown().optional(),
  delayTime: z.number().nonnegative().optional(),
  executionTime: z.number().nonnegative().optional(),
  input: z.unknown().optional(),
  webhook: z.unknown().optional(),
});
export type RunpodResult = z.output<typeof runpodResultSchema>;

export const terminalStatuses = new Set(["COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"]);

/** `?run=<id>&attempt=<n>&sig=<hmac>` of the webhook URL. */
export const webhookQuerySchema = z.object({
  run: z.string().regex(/^[1-9][0-9]{0,18}$/, "run must be a run id"),
  attempt: z.coerce.number().int().min(0).max(1_000_000),
  sig: z.string().min(1).max(200),
});
export type WebhookQuery = z.output<typeof webhookQuerySchema>;

/**
 * What pg_cron or a kick posts. A kick names its debounce window as
 * `linger_ms`: inserts inside it sent no kick, so the dispatcher keeps looking
 * for work that long before it stops claiming.
 */
export const dispatchRequestSchema = z.object({
  reason: z.string().max(100).optional(),
  linger_ms: z.number().int().min(0).max(10_000).optional(),
}).loose();
