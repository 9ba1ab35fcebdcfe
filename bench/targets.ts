// The targets pgpod is measured against, each read from the figures the
// sections report: a table of target, measured median (with its range) and
// whether the median meets it. Figures are stated whether they meet or not.
import { round, type SectionResult, spread, type Summary, times } from "./report.ts";

interface Target {
  measure: string;
  figure: string;
  goal: string;
  /** Whether the median meets the goal. */
  meets: (median: number) => boolean;
  format: (v: number | null) => string | number | null;
  /** Written once after the figure, e.g. "ms". */
  unit?: string;
  /** A second figure printed alongside (e.g. p99 with p50). */
  alongside?: { label: string; figure: string };
}


export const targets: Target[] = [
  { measure: "single-row enqueue, pgpod / best peer", figure: "ratio.enqueue_single_vs_best_peer", goal: "≥ 1.2×", meets: (m) => m >= 1.2, format: times },
  { measure: "bulk enqueue, pgpod / best peer", figure: "ratio.enqueue_bulk_vs_best_peer", goal: "≥ 0.6×", meets: (m) => m >= 0.6, format: times },
  { measure: "process, pgpod / graphile-worker (best)", figure: "ratio.process_vs_graphile_worker", goal: "≥ 0.25×", meets: (m) => m >= 0.25, format: times },
  { measure: "HTTP ceiling, files stored", figure: "http.ceiling_per_s", goal: "≥ 500 jobs/s", meets: (m) => m >= 500, format: round, unit: "jobs/s" },
  {
    measure: "insert → /run p50 at half the ceiling", figure: "http.half.insert_to_run_p50_ms", goal: "≤ 50 ms", meets: (m) => m <= 50, format: round, unit: "ms",
    alongside: { label: "p99", figure: "http.half.insert_to_run_p99_ms" },
  },
  { measure: "webhook peak over idle / body size", figure: "webhook.peak_over_body", goal: "≤ 3×", meets: (m) => m <= 3, format: times },
  { measure: "claim time, largest depth / smallest", figure: "scale.claim_largest_vs_smallest", goal: "≤ 1.5×", meets: (m) => m <= 1.5, format: times },
];

export function targetsSection(sections: SectionResult[]): SectionResult {
  const figures: Record<string, Summary> = Object.assign({}, ...sections.map((s) => s.figures));
  const rows = targets.map((t) => {
    const figure = figures[t.figure];
    const median = figure?.median ?? null;
    const unit = t.unit ? ` ${t.unit}` : "";
    const extra = t.alongside && figures[t.alongside.figure] ? `; ${t.alongside.label} ${spread(figures[t.alongside.figure], t.format)}${unit}` : "";
    return [t.measure, t.goal, figure ? `${spread(figure, t.format)}${unit}${extra}` : "not measured", median === null ? "not measured" : t.meets(median) ? "met" : "not met"];
  });
  const written = (key: string) => figures[`${key}.rows_per_job`];
  const pgpodRows = written("pgpod");
  const peerRows = ["graphile-worker", "pg-boss"].map((k) => [k, written(k)] as const);
  return {
    id: "targets",
    title: "Targets",
    settings: { source: "medians of this run's rounds" },
    tables: [{
      title: "Each target against this run's median (min–max); met/not met is judged on the median",
      columns: ["measure", "target", "measured", "verdict"],
      rows,
    }],
    notes: [
      pgpodRows
        ? `Durable rows written per job: pgpod ${spread(pgpodRows)}, ` + peerRows.map(([k, s]) => `${k} ${s ? spread(s) : "–"}`).join(", ") + " (section 3)."
        : "Durable rows per job were not measured.",
    ],
    figures: {},
  };
}
