// Everything the functions read from their environment, validated once at
// start so a missing secret fails loudly at boot instead of mid-request.
import { z } from "zod";

const required = (name: string) => z.string({ error: `${name} is required` }).min(1, `${name} is required`);
const httpUrl = (name: string) => required(name).pipe(z.url({ protocol: /^https?$/, error: `${name} must be an http(s) URL` }));

const sharedEnv = {
  SUPABASE_URL: httpUrl("SUPABASE_URL"),
  SUPABASE_DB_URL: required("SUPABASE_DB_URL"),
  SUPABASE_SERVICE_ROLE_KEY: required("SUPABASE_SERVICE_ROLE_KEY"),
  PGPOD_WEBHOOK_SECRET: required("PGPOD_WEBHOOK_SECRET"),
  /** Where RunPod reaches the functions, when SUPABASE_URL is an internal address. */
  PGPOD_FUNCTIONS_URL: httpUrl("PGPOD_FUNCTIONS_URL").optional(),
  /**
   * Comma-separated origins output URLs may be fetched from although they are
   * not public https addresses: the local stack lists its own services here.
   */
  PGPOD_FETCH_ALLOWED_ORIGINS: z.string().optional().transform((value, ctx) => {
    const origins = (value ?? "").split(",").map((o) => o.trim()).filter((o) => o !== "");
    for (const origin of origins) {
      if (!/^https?:\/\/[^/?#]+$/.test(origin)) {
        ctx.addIssue({ code: "custom", message: `PGPOD_FETCH_ALLOWED_ORIGINS: "${origin}" is not an origin like http://host:port` });
      }
    }
    return origins;
  }),
};

const webhookEnv = z.object(sharedEnv);
const dispatchEnv = z.object({
  ...sharedEnv,
  RUNPOD_API_KEY: required("RUNPOD_API_KEY"),
  PGPOD_DISPATCH_SECRET: required("PGPOD_DISPATCH_SECRET"),
});

/** Bounds that keep one invocation inside Edge Function limits (150 s idle, 2 s CPU, 256 MB). */
export interface Limits {
  /**
   * The dispatcher stops starting new work after this long. Kept under
   * pgpod.settings.dispatch_timeout_ms (pg_net's timeout for the call) so the
   * summary still reaches net._http_response.
   */
  dispatchBudgetMs: number;
  /** Concurrent RunPod requests per dispatch. */
  parallelism: number;
  /** Runs claimed per endpoint per dispatch, at most. */
  maxRunsPerEndpoint: number;
  /** Overdue runs polled per dispatch. */
  reconcileBatch: number;
  /** Per-request timeout for /run, /status and /cancel. */
  runpodTimeoutMs: number;
  /** Largest webhook body accepted (base64 outputs travel in it). */
  webhookBodyBytes: number;
  /** Largest output file downloaded from a URL. */
  downloadBytes: number;
  /** Per-request timeout for downloads and Storage requests. */
  downloadTimeoutMs: number;
  /** Webhook deliveries of one function instance recorded in one complete_runs call, at most (1: no batching). */
  completionBatchSize: number;
  /** How long a webhook delivery waits for others to share its complete_runs call. */
  completionBatchWaitMs: number;
}

export const defaultLimits: Limits = {
  dispatchBudgetMs: 8_000,
  parallelism: 8,
  maxRunsPerEndpoint: 50,
  reconcileBatch: 50,
  runpodTimeoutMs: 8_000,
  // A body costs the webhook about six times its size at peak (measured by
  // `npm run bench`): 24 MiB stays inside Supabase's 256 MB with room to spare.
  webhookBodyBytes: 24 * 1024 * 1024,
  downloadBytes: 50 * 1024 * 1024,
  downloadTimeoutMs: 30_000,
  // A few milliseconds added to a delivery's answer let concurrent ones share
  // one commit: the complete step costs several times less per delivery.
  completionBatchSize: 50,
  completionBatchWaitMs: 5,
};

export interface SharedConfig {
  supabaseUrl: string;
  dbUrl: string;
  serviceRoleKey: string;
  webhookSecret: string;
  /** Base of the functions' public URLs, without a trailing slash. */
  functionsUrl: string;
  /** Origins output URLs may be fetched from without the public-address check. */
  fetchAllowedOrigins: string[];
  limits: Limits;
}

export type WebhookConfig = SharedConfig;

export interface DispatchConfig extends SharedConfig {
  runpodApiKey: string;
  dispatchSecret: string;
}

type Env = Record<string, string | undefined>;

function parse<T extends z.ZodType>(schema: T, env: Env, fn: string): z.output<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => issue.message).join("; ");
    throw new Error(`${fn}: invalid environment: ${problems}`);
  }
  return parsed.data;
}

function shared(env: z.output<typeof webhookEnv>, limits: Partial<Limits>): SharedConfig {
  const supabaseUrl = env.SUPABASE_URL.replace(/\/+$/, "");
  return {
    supabaseUrl,
    dbUrl: env.SUPABASE_DB_URL,
    serviceRoleKey: env.SUPABASE_SERVICE_ROLE_KEY,
    webhookSecret: env.PGPOD_WEBHOOK_SECRET,
    functionsUrl: (env.PGPOD_FUNCTIONS_URL ?? `${supabaseUrl}/functions/v1`).replace(/\/+$/, ""),
    fetchAllowedOrigins: env.PGPOD_FETCH_ALLOWED_ORIGINS,
    limits: { ...defaultLimits, ...limits },
  };
}

export function webhookConfig(env: Env, limits: Partial<Limits> = {}): WebhookConfig {
  return shared(parse(webhookEnv, env, "pgpod-webhook"), limits);
}

const archiveEnv = z.object({
  SUPABASE_URL: sharedEnv.SUPABASE_URL,
  SUPABASE_DB_URL: sharedEnv.SUPABASE_DB_URL,
  SUPABASE_SERVICE_ROLE_KEY: sharedEnv.SUPABASE_SERVICE_ROLE_KEY,
});

/** pgpod-archive needs no webhook or RunPod secret: only Storage, Auth and the database. */
export interface ArchiveConfig {
  supabaseUrl: string;
  dbUrl: string;
  serviceRoleKey: string;
  /** Per-request timeout for Auth, Storage metadata and signing (not for streamed bodies). */
  requestTimeoutMs: number;
}

export function archiveConfig(env: Env): ArchiveConfig {
  const parsed = parse(archiveEnv, env, "pgpod-archive");
  return {
    supabaseUrl: parsed.SUPABASE_URL.replace(/\/+$/, ""),
    dbUrl: parsed.SUPABASE_DB_URL,
    serviceRoleKey: parsed.SUPABASE_SERVICE_ROLE_KEY,
    requestTimeoutMs: defaultLimits.downloadTimeoutMs,
  };
}

export function dispatchConfig(env: Env, limits: Partial<Limits> = {}): DispatchConfig {
  const parsed = parse(dispatchEnv, env, "pgpod-dispatch");
  return {
    ...shared(parsed, limits),
    runpodApiKey: parsed.RUNPOD_API_KEY,
    dispatchSecret: parsed.PGPOD_DISPATCH_SECRET,
  };
}
