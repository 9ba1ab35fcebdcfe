import { z } from "zod";

// Defaults are the cloud's documented values (reference/runpod.md); the
// demo configuration in defaultConfig() only shortens what makes local runs slow.

const ms = z.number().int().min(0);
const share = z.number().min(0).max(1);

export const faultsSchema = z.strictObject({
  /** Share of webhook deliveries never sent. */
  webhookDropRate: share.default(0),
  /** Share of webhook deliveries sent twice. */
  webhookDuplicateRate: share.default(0),
  /** Share of webhook deliveries held back until the next one of the endpoint went out. */
  webhookReorderRate: share.default(0),
  /** Longest time a held-back delivery waits for a later one. */
  webhookReorderHoldMs: ms.default(1000),
  /** Extra wait before the first attempt of every delivery. */
  webhookDelayMs: ms.default(0),
  /** While an attempt gets no answer within the attempt timeout, keep sending copies without closing the slow ones. */
  webhookRepeatWhileSlow: z.boolean().default(false),
  /** Share of /run requests answered with runErrorStatus and not queued. */
  runErrorRate: share.default(0),
  runErrorStatus: z.number().int().min(400).max(599).default(503),
  /** Share of /run requests whose job is queued but whose answer comes only after runHangMs. */
  runHangRate: share.default(0),
  runHangMs: ms.default(5000),
  /** Share of accepted jobs that vanish from the queue (/status answers 404). */
  loseQueuedRate: share.default(0),
  /** Share of successful jobs finished as COMPLETED without output. */
  completedWithoutOutputRate: share.default(0),
});
export type FaultSettings = z.output<typeof faultsSchema>;
export type FaultSettingsPatch = z.input<typeof faultsSchema>;

const endpointSchema = z.strictObject({
  /** A demo worker name (see workers/index.ts) or a path to a module whose default export is the handler. */
  handler: z.string().min(1),
  /** Max workers; the cloud's default is 3. */
  workers: z.number().int().min(1).default(3),
  coldStartMs: ms.default(200),
  /** How long a worker stays warm after its last job; the cloud's default is 5 s. */
  idleTimeoutMs: ms.default(5000),
  /** Endpoint execution timeout, overridden per job by policy.executionTimeout. */
  executionTimeoutMs: ms.default(600_000),
  faults: faultsSchema.prefault({}),
});
export type EndpointConfig = z.output<typeof endpointSchema>;

const settingsShape = {
  /** How long finished results stay readable: 30 min for /run, 1 min for /runsync. */
  retention: z.strictObject({ runMs: ms.default(30 * 60_000), runsyncMs: ms.default(60_000) }).prefault({}),
  webhook: z
    .strictObject({
      /** Total attempts: the first one plus 2 retries. */
      attempts: z.number().int().min(1).default(3),
      retryDelayMs: ms.default(10_000),
      /** Per-attempt timeout, not documented by RunPod. */
      timeoutMs: ms.default(2000),
      /** Whether CANCELLED and TIMED_OUT jobs get a webhook (not confirmed for the cloud). */
      onCancelledAndTimedOut: z.boolean().default(true),
      /** Cap on copies sent by the webhookRepeatWhileSlow fault. */
      slowRepeatLimit: z.number().int().min(0).default(10),
    })
    .prefault({}),
  /** Requests allowed per window, per endpoint and operation. */
  rateLimits: z
    .strictObject({
      windowMs: ms.default(10_000),
      run: z.number().int().min(1).default(1000),
      runsync: z.number().int().min(1).default(2000),
      status: z.number().int().min(1).default(2000),
      cancel: z.number().int().min(1).default(100),
      purgeQueue: z.number().int().min(1).default(2),
    })
    .prefault({}),
  bodyLimits: z
    .strictObject({
      runBytes: z.number().int().min(1).default(10 * 1024 * 1024),
      runsyncBytes: z.number().int().min(1).default(20 * 1024 * 1024),
      otherBytes: z.number().int().min(1).default(1024 * 1024),
    })
    .prefault({}),
  runsyncWait: z
    .strictObject({ defaultMs: ms.default(90_000), minMs: ms.default(1000), maxMs: ms.default(300_000) })
    .prefault({}),
  /** Bounds applied to policy values; values outside are clamped. */
  policy: z
    .strictObject({
      minExecutionTimeoutMs: ms.default(5000),
      minTtlMs: ms.default(10_000),
      maxMs: ms.default(7 * 24 * 3_600_000),
      defaultTtlMs: ms.default(24 * 3_600_000),
    })
    .prefault({}),
  /** Seed for the fault dice; without it faults use Math.random. */
  seed: z.number().int().optional(),
};

export const settingsSchema = z.strictObject(settingsShape);
export type EmulatorSettings = z.output<typeof settingsSchema>;
export type EmulatorSettingsPatch = DeepPartial<z.input<typeof settingsSchema>>;

export const configSchema = z.strictObject({
  endpoints: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/), endpointSchema).default({}),
  ...settingsShape,
});
/** What callers pass: every field except an endpoint's handler is optional. */
export type EmulatorConfig = z.input<typeof configSchema>;
export type ResolvedConfig = z.output<typeof configSchema>;

type DeepPartial<T> = T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

export function resolveConfig(config: EmulatorConfig): ResolvedConfig {
  const parsed = configSchema.safeParse(config);
  if (!parsed.success) throw new Error(`invalid RunPod emulator config: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The demo endpoints, one per demo worker, with short cold starts for local runs. */
export function defaultConfig(): EmulatorConfig {
  const demo = (handler: string, workers: number, coldStartMs: number) => ({
    handler,
    workers,
    coldStartMs,
    idleTimeoutMs: 5000,
  });
  return {
    endpoints: {
      image: demo("image", 2, 300),
      transcribe: demo("transcribe", 2, 200),
      upload: demo("upload", 2, 200),
      flaky: demo("flaky", 3, 100),
      sleep: demo("sleep", 4, 100),
      noop: demo("noop", 8, 100),
    },
  };
}

/** Merges plain objects recursively; arrays and other values in patch replace. */
export function deepMerge<T>(base: T, patch: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(patch)) return (patch === undefined ? base : patch) as T;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) merged[key] = deepMerge(merged[key], value);
  return merged as T;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
