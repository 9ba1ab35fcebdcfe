// pgpod's service-only SQL API, over postgres.js on SUPABASE_DB_URL. One call
// per step; every decision (capacity, attempts, backoff, duplicates) is made
// in SQL. Rows coming back are checked with zod so a schema change fails loudly.
import postgres from "postgres";
import { z } from "zod";

/** int8 ids arrive as strings (postgres.js keeps them exact) and stay strings. */
const runId = z.union([z.string(), z.number()]).transform(String);
/** SQL returns prefixes ending in "/"; paths are built from the bare folder. */
const folder = z.string().min(1).transform((p) => p.replace(/\/+$/, ""));

const runJobSchema = z.object({ job_id: z.string(), storage_prefix: folder });
export type RunJob = z.output<typeof runJobSchema>;

const claimedRunSchema = z.object({
  run_id: runId,
  attempt: z.number().int(),
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
  grouped: boolean;
  jobs: RunJob[];
}

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

export interface Release {
  run_id: string;
  attempt: number;
  reason: string;
  retry_after_s?: number;
  permanent?: boolean;
}

export interface CompletedFile {
  job_id: string;
  index: number;
  filename: string;
  bucket: string;
  path: string;
  content_type: string;
  size: number;
  sha256: string | null;
}

export interface PgpodDb {
  /** Endpoints that may have work: every endpoint that is not paused. */
  activeEndpoints(): Promise<string[]>;
  claimRuns(endpoint: string, maxRuns: number): Promise<ClaimedRun[]>;
  markSubmitted(submissions: Submission[]): Promise<MarkSubmittedSummary>;
  releaseRuns(releases: Release[]): Promise<ReleaseSummary>;
  runsToReconcile(maxRuns: number): Promise<ReconcileRow[]>;
  /**
   * The run a delivery is for, when complete_run would still apply it: the
   * attempt is current, the run is in flight and the RunPod job is the one
   * recorded (or none is recorded yet). Null otherwise, so files of stale or
   * repeated deliveries are never written over a finished job's files.
   */
  runContext(runId: string, attempt: number, runpodJobId: string): Promise<RunContext | null>;
  completeRun(runId: string, attempt: number, result: Record<string, unknown>, files: CompletedFile[]): Promise<CompleteSummary>;
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
    async activeEndpoints() {
      const rows = await sql<{ name: string }[]>`select name from pgpod.endpoints where not paused order by name`;
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

    async runsToReconcile(maxRuns) {
      const rows = await sql`select * from pgpod.runs_to_reconcile(${maxRuns})`;
      return z.array(reconcileRowSchema).parse(rows);
    },

    async runContext(id, attempt, runpodJobId) {
      // Storage prefixes follow the rule claim_runs uses.
      const rows = await sql`
        select r.id as run_id, r.attempt, r.endpoint, e.output_bucket as bucket, e.public_outputs, r.grouped,
               jsonb_agg(jsonb_build_object(
                 'job_id', j.id,
                 'storage_prefix', coalesce(j.owner_id::text, 'service') || '/' || e.name || '/' || j.id || '/')
                 order by array_position(r.job_ids, j.id)) as jobs
        from pgpod.runs r
        join pgpod.endpoints e on e.name = r.endpoint
        join pgpod.jobs j on j.id = any(r.job_ids)
        where r.id = ${id}::bigint and r.attempt = ${attempt}
          and r.status in ('submitting', 'IN_QUEUE', 'IN_PROGRESS')
          and (r.runpod_job_id is null or r.runpod_job_id = ${runpodJobId})
        group by r.id, e.name`;
      if (rows.length === 0) return null;
      const row = runContextSchema.parse(rows[0]);
      return {
        runId: row.run_id,
        attempt: row.attempt,
        endpoint: row.endpoint,
        bucket: row.bucket,
        publicOutputs: row.public_outputs,
        grouped: row.grouped,
        jobs: row.jobs,
      };
    },

    async completeRun(id, attempt, result, files) {
      const [row] = await sql`select pgpod.complete_run(${id}::bigint, ${attempt}, ${asJson(result)}, ${asJson(files)}) as summary`;
      return completeSchema.parse(row.summary);
    },

    close: () => sql.end({ timeout: 5 }),
  };
}
