// The ops views as tables; each cell carries data-col, each row data-key.
import { h } from "../dom.ts";
import { errorSummary } from "../format.ts";
import type { EndpointStats, QueueHealth, RecentFailure } from "./snapshot.ts";

interface Column<T> {
  key: string;
  label: string;
  value: (row: T) => string;
  numeric?: boolean;
  /** The whole text, shown on hover, when `value` shortens it. */
  title?: (row: T) => string;
}

const count = (n: number | null) => (n === null ? "–" : String(n));
const seconds = (s: number | null) => (s === null ? "–" : s.toFixed(2));
const time = (iso: string | null) => (iso ? new Date(iso).toLocaleTimeString() : "");

function field<T>(key: keyof T & string, label: string, format: (value: never) => string, numeric = true): Column<T> {
  return { key, label, numeric, value: (row) => format(row[key] as never) };
}

export const endpointColumns: Column<EndpointStats>[] = [
  { key: "endpoint", label: "Endpoint", value: (r) => (r.paused ? `${r.endpoint} (paused)` : r.endpoint) },
  field("queued", "Queued", count),
  field("in_flight", "In flight", count),
  field("succeeded_1h", "Succeeded 1 h", count),
  field("failed_1h", "Failed 1 h", count),
  field("succeeded_24h", "Succeeded 24 h", count),
  field("failed_24h", "Failed 24 h", count),
  field("queue_wait_p50_s", "Queue wait p50 s", seconds),
  field("queue_wait_p95_s", "p95 s", seconds),
  field("execution_p50_s", "Execution p50 s", seconds),
  field("execution_p95_s", "p95 s", seconds),
  field("gpu_seconds_24h", "GPU s 24 h", (s: number) => s.toFixed(1)),
];

export const healthColumns: Column<QueueHealth>[] = [
  { key: "endpoint", label: "Endpoint", value: (r) => r.endpoint },
  field("queue_length", "Queue length", count),
  field("oldest_msg_age_s", "Oldest message s", count),
  field("runs_stuck_submitting", "Stuck submitting", count),
  field("runs_overdue", "Overdue runs", count),
  field("submit_refusals", "Refusals in a row", count),
  { key: "dispatch_after", label: "Backed off until", value: (r) => time(r.dispatch_after) },
  { key: "problem", label: "Problem", value: (r) => r.problem ?? r.kick_problem ?? "" },
];

export const failureColumns: Column<RecentFailure>[] = [
  { key: "finished_at", label: "Failed at", value: (r) => time(r.finished_at) },
  { key: "endpoint", label: "Endpoint", value: (r) => r.endpoint },
  { key: "job_id", label: "Job", value: (r) => r.job_id },
  { key: "attempt", label: "Attempt", value: (r) => `${r.attempt} of ${r.max_attempts}`, numeric: true },
  { key: "runpod_job_id", label: "RunPod job", value: (r) => r.runpod_job_id ?? "" },
  { key: "error", label: "Error", value: (r) => errorSummary(r.error), title: (r) => r.error ?? "" },
];

export function renderTable<T>(table: HTMLTableElement, columns: Column<T>[], rows: T[], keyOf: (row: T) => string): void {
  const numeric = (c: Column<T>): Record<string, string> => (c.numeric ? { class: "num" } : {});
  table.replaceChildren(
    h("thead", {}, h("tr", {}, ...columns.map((c) => h("th", numeric(c), c.label)))),
    h("tbody", {}, ...rows.map((row) =>
      h("tr", { "data-key": keyOf(row) }, ...columns.map((c) =>
        h("td", { ...numeric(c), "data-col": c.key, ...(c.title ? { title: c.title(row) } : {}) }, c.value(row)))))),
  );
}
