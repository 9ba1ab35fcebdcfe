// Reads what became of the demo's jobs and checks each against the state the
// scenario expects, including the side effects an app relies on (stored
// files, documents written back by the on_complete hook).
import type { Sql } from "postgres";
import { finalStatuses, type Status } from "./progress.ts";
import type { TrackedJob } from "./traffic.ts";

export interface JobRow {
  id: string;
  endpoint: string;
  status: Status;
  attempt: number;
  max_attempts: number;
  error: string | null;
  files: number;
  png_files: number;
  thumbnails: number;
  document_status: string | null;
  transcribed_by: string | null;
}

export interface Problem {
  job: TrackedJob;
  row?: JobRow;
  why: string;
}

export async function readJobs(sql: Sql, jobs: TrackedJob[]): Promise<Map<string, JobRow>> {
  const rows = await sql<JobRow[]>`
    select j.id, j.endpoint, j.status, j.attempt, j.max_attempts, j.error,
           (select count(*)::int from pgpod.job_files f where f.job_id = j.id) as files,
           (select count(*)::int from pgpod.job_files f where f.job_id = j.id and f.content_type = 'image/png') as png_files,
           (select count(*)::int from jsonb_array_elements(case when jsonb_typeof(j.output -> 'files') = 'array' then j.output -> 'files' end) e
             where e ->> 'variant' = 'thumb') as thumbnails,
           d.status as document_status,
           t.job_id::text as transcribed_by
    from pgpod.jobs j
    left join public.documents d on j.source_table = 'public.documents' and d.id = j.source_id::uuid
    left join public.document_transcriptions t on t.document_id = d.id
    where j.id = any(${jobs.map((j) => j.id)}::uuid[])`;
  return new Map(rows.map((r) => [r.id, r]));
}

function sideEffectProblem(job: TrackedJob, row: JobRow): string | undefined {
  if (row.endpoint === "image" && row.png_files !== 1) return `has ${row.png_files} stored PNGs, expected 1`;
  if (row.endpoint === "image" && row.thumbnails !== 1) return `has ${row.thumbnails} stored thumbnails, expected 1 (the endpoint's variants)`;
  if (row.endpoint === "upload" && row.status === "succeeded" && row.files !== 1) return `has ${row.files} stored files, expected 1`;
  if (row.endpoint === "flaky" && row.status === "succeeded" && row.attempt < 2) {
    return "succeeded on its first attempt, expected a retry first";
  }
  if (row.endpoint === "flaky" && row.status === "failed" && row.attempt !== row.max_attempts) {
    return `failed after ${row.attempt} of ${row.max_attempts} attempts, expected every attempt to be used`;
  }
  if (job.documentId) {
    const wanted = row.status === "succeeded" ? "done" : row.status;
    if (row.document_status !== wanted) return `its document is "${row.document_status}", expected "${wanted}"`;
    if (row.status === "succeeded" && row.transcribed_by !== row.id) return "its document has no transcription from this job";
    if (row.status !== "succeeded" && row.transcribed_by !== null) return "its document has a transcription although the job did not succeed";
  }
  return undefined;
}

/** Every job that did not end as the scenario says, with the reason. */
export function findProblems(jobs: TrackedJob[], rows: Map<string, JobRow>): Problem[] {
  const problems: Problem[] = [];
  for (const job of jobs) {
    const row = rows.get(job.id);
    if (!row) {
      problems.push({ job, why: "is missing from pgpod.jobs" });
    } else if (!finalStatuses.includes(row.status)) {
      problems.push({ job, row, why: `is still ${row.status} (attempt ${row.attempt}/${row.max_attempts})` });
    } else if (row.status !== job.expected) {
      problems.push({ job, row, why: `ended ${row.status}, expected ${job.expected}${row.error ? ` (error: ${row.error})` : ""}` });
    } else {
      const why = sideEffectProblem(job, row);
      if (why) problems.push({ job, row, why });
    }
  }
  return problems;
}
