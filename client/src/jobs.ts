// pgpod.jobs through the Data API as the signed-in user: submit, cancel and
// retry call pgpod's SQL functions; reads select the broadcast's columns, so
// a job read and a job broadcast look the same.
import type { PostgrestError, SupabaseClient } from "@supabase/supabase-js";
import type { Database } from "../../supabase/database.types.ts";
import { fromDataApiError, JobNotFoundError, RequestFailedError } from "./errors.ts";
import { jobColumns, type JobStatus, type JobView, type SupabaseClientLike } from "./types.ts";

const selectJob = jobColumns.join(",");

export type PgpodSchema = ReturnType<typeof pgpodSchema>;

export function pgpodSchema(supabase: SupabaseClientLike) {
  return (supabase as unknown as SupabaseClient<Database>).schema("pgpod");
}

/** A job row or broadcast record with exactly the job columns (missing ones as null). */
export function toJob(record: Record<string, unknown>): JobView {
  return Object.fromEntries(jobColumns.map((column) => [column, record[column] ?? null])) as JobView;
}

interface Answer {
  data: unknown;
  error: PostgrestError | null;
  status: number;
}

function rows(answer: Answer): JobView[] {
  if (answer.error) throw fromDataApiError(answer.error, answer.status);
  const data = answer.data;
  return (Array.isArray(data) ? data : data ? [data] : []).map((row) => toJob(row as Record<string, unknown>));
}

function one(answer: Answer, jobId: string | null): JobView {
  const [job] = rows(answer);
  if (job && job.id !== null) return job;
  if (jobId === null) throw new RequestFailedError("pgpod: submit answered without a job", { status: answer.status });
  throw new JobNotFoundError(`pgpod: job ${jobId} not found`);
}

export async function submitJob(
  db: PgpodSchema,
  endpoint: string,
  input: object,
  options: { idempotencyKey?: string; runAfter?: Date | string },
): Promise<JobView> {
  const runAfter = options.runAfter instanceof Date ? options.runAfter.toISOString() : options.runAfter;
  const answer = await db
    .rpc("submit", { endpoint, input: input as never, idempotency_key: options.idempotencyKey, run_after: runAfter })
    .select(selectJob);
  return one(answer, null);
}

export async function callJobFunction(db: PgpodSchema, name: "cancel" | "retry", jobId: string): Promise<JobView> {
  return one(await db.rpc(name, { job_id: jobId }).select(selectJob), jobId);
}

export interface JobQuery {
  ids?: readonly string[];
  endpoint?: string;
  statuses?: readonly JobStatus[];
  /** Keyset: jobs created before this one (created_at, then id, descending). */
  before?: { createdAt: string; id: string };
  limit?: number;
}

/** The user's jobs, newest first. */
export async function readJobs(db: PgpodSchema, query: JobQuery): Promise<JobView[]> {
  let request = db.from("jobs").select(selectJob);
  if (query.ids) request = request.in("id", [...query.ids]);
  if (query.endpoint !== undefined) request = request.eq("endpoint", query.endpoint);
  if (query.statuses) request = request.in("status", [...query.statuses]);
  if (query.before) {
    const { createdAt, id } = query.before;
    request = request.or(`created_at.lt."${createdAt}",and(created_at.eq."${createdAt}",id.lt.${id})`);
  }
  const ordered = request.order("created_at", { ascending: false }).order("id", { ascending: false });
  return rows(await (query.limit === undefined ? ordered : ordered.limit(query.limit)));
}
