// The end-of-run report: per endpoint outcomes and latencies from the jobs'
// own timestamps, documents written back, files stored, and where they are.
import { join } from "node:path";
import type { Sql } from "postgres";
import { formatImageResults, type ImageResult } from "./image-results.ts";
import type { FetchedFile } from "./signed-urls.ts";
import type { Problem } from "./outcome.ts";
import type { TrackedJob, Via } from "./traffic.ts";

interface EndpointRow {
  endpoint: string | null;
  jobs: number;
  succeeded: number;
  failed: number;
  retried: number;
  cancelled: number;
  submit_p50: number | null;
  submit_p95: number | null;
  finish_p50: number | null;
  finish_p95: number | null;
  seen_p50: number | null;
  seen_p95: number | null;
}

export interface SummaryData {
  endpoints: EndpointRow[];
  documents: { total: number; done: number; failed: number; transcriptions: number };
  files: { count: number; bytes: number };
  diskExample: string | null;
}

/** `finalSeenAt`: when each job's owner saw its final state through Realtime (ms since the epoch). */
export async function readSummary(sql: Sql, jobs: TrackedJob[], stateDir: string, finalSeenAt: Map<string, number>): Promise<SummaryData> {
  const ids = jobs.map((j) => j.id);
  const seen = [...finalSeenAt].map(([id, at]) => ({ id, at }));
  const documentIds = jobs.flatMap((j) => (j.documentId ? [j.documentId] : []));
  const endpoints = await sql<EndpointRow[]>`
    select endpoint, count(*)::int as jobs,
           count(*) filter (where status = 'succeeded')::int as succeeded,
           count(*) filter (where status = 'failed')::int as failed,
           count(*) filter (where attempt > 1)::int as retried,
           count(*) filter (where status = 'cancelled')::int as cancelled,
           percentile_cont(0.5) within group (order by extract(epoch from submitted_at - created_at))::float8 as submit_p50,
           percentile_cont(0.95) within group (order by extract(epoch from submitted_at - created_at))::float8 as submit_p95,
           percentile_cont(0.5) within group (order by extract(epoch from finished_at - created_at))::float8 as finish_p50,
           percentile_cont(0.95) within group (order by extract(epoch from finished_at - created_at))::float8 as finish_p95,
           percentile_cont(0.5) within group (order by s.at / 1000 - extract(epoch from created_at))::float8 as seen_p50,
           percentile_cont(0.95) within group (order by s.at / 1000 - extract(epoch from created_at))::float8 as seen_p95
    from pgpod.jobs
    left join jsonb_to_recordset(${sql.json(seen)}) as s(id uuid, at float8) using (id)
    where id = any(${ids}::uuid[])
    group by grouping sets ((endpoint), ())
    order by endpoint nulls last`;
  const [documents] = await sql<SummaryData["documents"][]>`
    select count(*)::int as total,
           count(*) filter (where d.status = 'done')::int as done,
           count(*) filter (where d.status = 'failed')::int as failed,
           count(t.document_id)::int as transcriptions
    from public.documents d left join public.document_transcriptions t on t.document_id = d.id
    where d.id = any(${documentIds}::uuid[])`;
  const [files] = await sql<{ count: number; bytes: number }[]>`
    select count(*)::int as count, coalesce(sum(size), 0)::float8 as bytes
    from pgpod.job_files where job_id = any(${ids}::uuid[])`;
  const [example] = await sql<{ bucket: string; name: string; version: string }[]>`
    select o.bucket_id as bucket, o.name, o.version
    from pgpod.job_files f
    join pgpod.jobs j on j.id = f.job_id
    join storage.objects o on o.bucket_id = f.bucket and o.name = f.path
    where f.job_id = any(${ids}::uuid[]) and j.endpoint = 'image'
    order by f.created_at limit 1`;
  const diskExample = example ? join(stateDir, "storage", "objects", example.bucket, ...example.name.split("/"), example.version) : null;
  return { endpoints, documents, files, diskExample };
}

const seconds = (s: number | null) => (s === null ? "-" : `${s.toFixed(1)}s`);
const pad = (value: string | number, width: number) => String(value).padStart(width);

function megabytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} kB`;
}

export function formatSummary(
  data: SummaryData,
  fetched: FetchedFile[],
  images: ImageResult[],
  problems: Problem[],
  context: { users: number; submittedS: number; finishedS: number; stateDir: string; bucket: string; viaDataApi: TrackedJob[] },
  realtimeProblems: string[],
): string {
  const lines: string[] = [];
  const jobs = data.endpoints.find((e) => e.endpoint === null)?.jobs ?? 0;
  lines.push("", `pgpod demo summary: ${jobs} jobs from ${context.users} users, submitted over ${context.submittedS.toFixed(0)} s, done after ${context.finishedS.toFixed(0)} s`, "");
  lines.push(`${"endpoint".padEnd(11)}${pad("jobs", 6)}${pad("succeeded", 11)}${pad("failed", 8)}${pad("retried", 9)}${pad("cancelled", 11)}${pad("insert→submitted p50/p95", 27)}${pad("insert→finished p50/p95", 26)}${pad("insert→owner saw the final state p50/p95", 43)}`);
  for (const e of data.endpoints) {
    lines.push(`${(e.endpoint ?? "all").padEnd(11)}${pad(e.jobs, 6)}${pad(e.succeeded, 11)}${pad(e.failed, 8)}${pad(e.retried, 9)}${pad(e.cancelled, 11)}` +
      `${pad(`${seconds(e.submit_p50)} / ${seconds(e.submit_p95)}`, 27)}${pad(`${seconds(e.finish_p50)} / ${seconds(e.finish_p95)}`, 26)}` +
      `${pad(`${seconds(e.seen_p50)} / ${seconds(e.seen_p95)}`, 43)}`);
  }
  lines.push("(retried: jobs that needed more than one attempt; submitted = the last attempt's /run;",
    " owner saw = the job's final state arrived on its owner's private Realtime channel)");
  const via = (kind: Via) => context.viaDataApi.filter((j) => j.via === kind).length;
  lines.push(`Data API: ${context.viaDataApi.length} of ${jobs} jobs came in through /rest/v1 with the users' sessions: ` +
    `${via("pgpod.jobs insert")} pgpod.jobs inserts, ${via("public.documents insert")} through public.documents inserts, ` +
    `${via("SDK submit")} through the client SDK's submit (rpc('submit') with idempotency keys)`, "");
  const d = data.documents;
  lines.push(`documents: ${d.total} rows in public.documents, ${d.done} done, ${d.failed} failed; ${d.transcriptions} document_transcriptions rows written by the on_complete hook`);
  lines.push(`files stored: ${data.files.count} in pgpod.job_files, ${megabytes(data.files.bytes)}`);
  lines.push("signed URLs fetched back through Storage as each file's owner:");
  if (fetched.length === 0) lines.push("  (no stored files to fetch)");
  for (const f of fetched) lines.push(`  ${f.ok ? "ok  " : "FAIL"} ${f.endpoint.padEnd(7)} ${f.path}: ${f.detail}`);
  lines.push(`PNGs on disk: ${join(context.stateDir, "storage", "objects", context.bucket)}/<owner>/<endpoint>/<job>/<file>.png/<version>`);
  if (data.diskExample) lines.push(`  e.g. ${data.diskExample}`);
  lines.push(...formatImageResults(images));
  if (realtimeProblems.length === 0) {
    lines.push(`realtime: every owner saw the final state of each of their jobs on pgpod:jobs:<user id>; nobody was sent another's`);
  } else {
    lines.push(`realtime: ${realtimeProblems.length} problems:`);
    for (const p of realtimeProblems) lines.push(`  ${p}`);
  }
  lines.push("");
  if (problems.length === 0) {
    lines.push(`result: all ${jobs} jobs ended as expected`);
  } else {
    lines.push(`result: ${problems.length} of ${jobs} jobs did not end as expected:`);
    for (const p of problems) lines.push(`  ${p.job.id} ${p.job.endpoint} (${p.job.label}, ${p.job.user.name}) ${p.why}`);
  }
  return lines.join("\n");
}
