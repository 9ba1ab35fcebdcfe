// pgpod's service-only SQL API, over postgres.js on SUPABASE_DB_URL. One call
// per step; every decision (capacity, attempts, backoff, duplicates) is made
// in SQL. Rows coming back are checked with zod so a schema change fails loudly.
import postgres from "postgres";
import { z } from "zod";
import type { VariantSettings } from "./image-variants.ts";
import type { FileRef } from "./outputs.ts";

/** int8 ids arrive as strings (postgres.js keeps them exact) and stay strings. */
const runId = z.union([z.string(), z.number()]).transform(String);
/** SQL returns prefixes ending in "/"; paths are built from the bare folder. */
const folder = z.string().min(1).transform((p) => p.replace(/\/+$/, ""));

const runJobSchema = z.object({ job_id: z.string(), storage_prefix: folder });
export type RunJob = z.output<typeof runJobSchema>;

export const claimedRunSchema = z.object({
  run_id: runId,
  attempt: z.number().int(),
  endpoint_name: z.string(),
  runpod_endpoint_id: z.string(),
  api_base: z.string(),
  execution_timeout_ms: z.number().int().nullable(),
  ttl_ms: z.number().int().nullable(),
  low_priority: z.boolean(),
  direct_upload: z.boolean(),
  output_bucket: z.string(),
  grouped: z.boolean(),
  jobs: z.array(runJobSchema).min(1),
  input: z.unknown(),
});
export type ClaimedRun = z.output<typeof claimedRunSchema>;

const reconcileRowSchema = z.object({
  run_id: runId,
  attempt: z.number().int(),
  runpod_endpoint_id: z.string(),
  api_base: z.string(),
  runpod_job_id: z.string(),
  action: z.enum(["poll", "cancel"]),
});
export type ReconcileRow = z.output<typeof reconcileRowSchema>;

const runContextSchema = z.object({
  run_id: runId,
  attempt: z.number().int(),
  endpoint: z.string(),
  bucket: z.string(),
  public_outputs: z.boolean(),
  allow_active_outputs: z.boolean(),
  grouped: z.boolean(),
  jobs: z.array(runJobSchema).min(1),
});

/** What storing a run's files needs to know. */
export interface RunContext {
  runId: string;
  attempt: number;
  endpoint: string;
  bucket: string;
  publicOutputs: boolean;
  /** HTML, SVG, XML and scripts are stored with their own type (endpoints.allow_active_outputs). */
  allowActiveOutputs: boolean;
  grouped: boolean;
  jobs: RunJob[];
}

const outputSettingsSchema = z.object({
  signed_url_ttl_s: z.number().int().positive(),
  variants: z.object({ thumbnail_width: z.number().int().positive().nullable(), webp: z.boolean(), max_megapixels: z.number().positive() })
    .nullable(),
});

/** How the URLs in a finished job's output.files are made, and which image variants are stored beside them. */
export interface OutputSettings {
  signedUrlTtlS: number;
  variants: VariantSettings | null;
}

const expiredArchiveSchema = z.object({ id: runId, bucket: z.string(), path: z.string() });
export type ExpiredArchive = z.output<typeof expiredArchiveSchema>;

const markSubmittedSchema = z.object({
  submitted: z.number().int(),
  stale: z.array(z.object({ run_id: runId, runpod_job_id: z.string() })),
});
export type MarkSubmittedSummary = z.output<typeof markSubmittedSchema>;

const releaseSchema = z.object({
  released: z.number().int(),
  stale: z.number().int(),
  requeued: z.array(z.string()),
  failed: z.array(z.string()),
  cancelled: z.array(z.string()),
});
export type ReleaseSummary = z.output<typeof releaseSchema>;

const completeSchema = z.object({ applied: z.boolean(), outcome: z.string(), job_ids: z.array(z.string()) });
export type CompleteSummary = z.output<typeof completeSchema>;

export interface Submission {
  run_id: string;
  attempt: number;
  runpod_job_id: string;
}

/**
 * How a /run call failed, which decides what release_run does with its jobs:
 * rejected (4xx) fails them; failed (pgpod could not prepare the call) counts
 * as an attempt; rate_limited (429), unavailable (5xx, network, timeout) and
 * not_sent (the endpoint refused another run of the same round) are refusals,
 * not attempts, and back the whole endpoint off.
 */
export type ReleaseKind = "rejected" | "failed" | "rate_limited" | "unavailable" | "not_sent";

export interface Release {
  run_id: string;
  attempt: number;
  reason: string;
  kind: ReleaseKind;
  retry_after_s?: number;
}

/** A stored file as complete_runs records it in pgpod.job_files. */
export type CompletedFile = FileRef & { job_id: string };

/** One RunPod result for pgpod.complete_runs: the /status body (without input and webhook URL) and its stored files. */
export interface Delivery {
  runId: string;
  attempt: number;
  result: Record<string, unknown>;
  files: CompletedFile[];
}

/** postgres.js and socket errors of a connection that failed or went away. */
const connectionFailures = new Set([
  "CONNECTION_CLOSED", "CONNECTION_DESTROYED", "CONNECTION_ENDED", "CONNECT_TIMEOUT",
  "ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN",
]);

/**
 * The database could not answer now, and the same call may succeed later: it
 * is unreachable, restarting or out of connections (SQLSTATE 08, 53, 57P0x),
 * the statement was cancelled (57014), or it lost a serialization or deadlock
 * conflict (40001, 40P01).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" &&
    (connectionFailures.has(code) || /^(08|53|57P0)/.test(code) || ["57014", "40001", "40P01"].includes(code));
}

export interface PgpodDb {
  /** Endpoints worth a claim now: not paused, below max_in_flight, with visible messages. */
  dispatchableEndpoints(): Promise<string[]>;
  claimRuns(endpoint: string, maxRuns: number): Promise<ClaimedRun[]>;
  markSubmitted(submissions: Submission[]): Promise<MarkSubmittedSummary>;
  releaseRuns(releases: Release[]): Promise<ReleaseSummary>;
  /** Records what keeps one endpoint from dispatching, for pgpod.queue_health. */
  noteEndpointProblem(endpoint: string, problem: string): Promise<void>;
  runsToReconcile(maxRuns: number): Promise<ReconcileRow[]>;
  /**
   * The run a delivery is for, when complete_runs would still apply it: the
   * attempt is current, the run is in flight and the RunPod job is the one
   * recorded (or none is recorded yet). Null otherwise, so files of stale or
   * repeated deliveries are never written over a finished job's files.
   */
  runContext(runId: string, attempt: number, runpodJobId: string): Promise<RunContext | null>;
  /** Records the deliveries in one pgpod.complete_runs call: one summary each, in the same order. */
  completeRuns(deliveries: Delivery[]): Promise<CompleteSummary[]>;
  /** The endpoint's settings for output files; read only by deliveries that store files. */
  outputSettings(endpoint: string): Promise<OutputSettings>;
  /** Archives pgpod.prune expired, whose objects are still in Storage. */
  expiredArchives(max: number): Promise<ExpiredArchive[]>;
  forgetArchives(ids: string[]): Promise<void>;
  close(): Promise<void>;
}

export function pgpodDb(url: string, applicationName: string): PgpodDb {
  const sql = postgres(url, {
    // Supabase's transaction pooler cannot keep prepared statements.
    prepare: false,
    max: 3,
    idle_timeout: 20,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { application_name: applicationName },
  });
  const asJson = (value: unknown) => sql.json(value as postgres.JSONValue);

  return {
    async dispatchableEndpoints() {
      const rows = await sql<{ name: string }[]>`select name from pgpod.dispatchable_endpoints() as name`;
      return rows.map((r) => r.name);
    },

    async claimRuns(endpoint, maxRuns) {
      const rows = await sql`select * from pgpod.claim_runs(${endpoint}, ${maxRuns})`;
      return z.array(claimedRunSchema).parse(rows);
    },

    async markSubmitted(submissions) {
      const [row] = await sql`select pgpod.mark_submitted(${asJson(submissions)}) as summary`;
      return markSubmittedSchema.parse(row.summary);
    },

    async releaseRuns(releases) {
      const [row] = await sql`select pgpod.release_run(${asJson(releases)}) as summary`;
      return releaseSchema.parse(row.summary);
    },

    async noteEndpointProblem(endpoint, problem) {
      await sql`select pgpod.note_endpoint_problem(${endpoint}, ${problem})`;
    },

    async runsToReconcile(maxRuns) {
      const rows = await sql`select * from pgpod.runs_to_reconcile(${maxRuns})`;
      return z.array(reconcileRowSchema).parse(rows);
    },

    async runContext(id, attempt, runpodJobId) {
      const [row] = await sql`select pgpod.run_context(${id}::bigint, ${attempt}, ${runpodJobId}) as context`;
      if (!row.context) return null;
      const context = runContextSchema.parse(row.context);
      return {
        runId: context.run_id,
        attempt: context.attempt,
        endpoint: context.endpoint,
        bucket: context.bucket,
        publicOutputs: context.public_outputs,
        allowActiveOutputs: context.allow_active_outputs,
        grouped: context.grouped,
        jobs: context.jobs,
      };
    },

    async completeRuns(deliveries) {
      const items = deliveries.map((d) => ({ run_id: d.runId, attempt: d.attempt, result: d.result, files: d.files }));
      const [row] = await sql`select pgpod.complete_runs(${asJson(items)}) as summaries`;
      return z.array(completeSchema).length(deliveries.length).parse(row.summaries);
    },

    async outputSettings(endpoint) {
      const [row] = await sql`select pgpod.output_settings(${endpoint}) as settings`;
      if (!row.settings) throw new Error(`endpoint ${endpoint} does not exist`);
      const settings = outputSettingsSchema.parse(row.settings);
      const v = settings.variants;
      return {
        signedUrlTtlS: settings.signed_url_ttl_s,
        variants: v && { thumbnailWidth: v.thumbnail_width, webp: v.webp, maxMegapixels: v.max_megapixels },
      };
    },

    async expiredArchives(max) {
      return z.array(expiredArchiveSchema).parse(await sql`select * from pgpod.expired_archives(${max})`);
    },

    async forgetArchives(ids) {
      await sql`select pgpod.forget_archives(${ids}::bigint[])`;
    },

    close: () => sql.end({ timeout: 5 }),
  };
}
