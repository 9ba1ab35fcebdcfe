// Shared by every bench section: timing, statistics, and the Markdown/JSON
// shape of a result. Sections return data; only run.ts prints and writes.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type Cell = string | number | null;

export interface Table {
  title: string;
  columns: string[];
  rows: Cell[][];
}

export interface SectionResult {
  id: string;
  title: string;
  settings: Record<string, string | number | boolean>;
  tables: Table[];
  notes: string[];
  /** Repeated measurements by name, for the targets table and for reading the JSON. */
  figures: Record<string, Summary>;
}

export interface RunMeta {
  date: string;
  machine: string;
  node: string;
  postgres: string;
  /** The real pgmq extension (with its version) or the SQL stand-in. */
  pgmq: string;
  /** Versions of the peers and of the runtime the Edge Functions run on. */
  versions: Record<string, string>;
  /** `git rev-parse HEAD`, with "+changes" when the tree had uncommitted changes. */
  commit: string;
  mode: "full" | "quick" | "smoke";
  durationS: number;
}

/** The median and range of a measurement repeated in several rounds. */
export interface Summary {
  median: number | null;
  min: number | null;
  max: number | null;
  samples: number[];
}

export function summarize(samples: number[]): Summary {
  const finite = samples.filter((v) => Number.isFinite(v));
  return {
    median: median(finite),
    min: finite.length > 0 ? Math.min(...finite) : null,
    max: finite.length > 0 ? Math.max(...finite) : null,
    samples: finite,
  };
}

/** "median (min–max)", or the one value when there is a single sample. */
export function spread(summary: Summary, format: (v: number | null) => string | number | null = round): string {
  if (summary.median === null) return "–";
  const mid = String(format(summary.median));
  if (summary.samples.length < 2) return mid;
  return `${mid} (${format(summary.min)}–${format(summary.max)})`;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

export const perSecond = (count: number, ms: number): number => (ms > 0 ? (count * 1000) / ms : 0);

/** Nearest-rank percentile of unsorted values; null when there are none. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

export const median = (values: number[]) => percentile(values, 50);

export const times = (ratio: number | null) => (ratio === null || !Number.isFinite(ratio) ? "n/a" : `${ratio.toFixed(2)}×`);

/** a/b as "1.23×", or "n/a" when either side is missing. */
export function ratio(a: number | null, b: number | null): string {
  if (a === null || b === null || b === 0) return "n/a";
  return times(a / b);
}

/** Rounds for reading: three significant digits below 100, whole numbers above. */
export function round(value: number | null): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  if (Math.abs(value) >= 100) return Math.round(value);
  return Number(value.toPrecision(3));
}

function cellText(cell: Cell): string {
  if (cell === null) return "–";
  return String(cell).replace(/\|/g, "\\|");
}

export function markdownTable(table: Table): string {
  const lines = [
    `| ${table.columns.map(cellText).join(" | ")} |`,
    `| ${table.columns.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
    ...table.rows.map((row) => `| ${row.map(cellText).join(" | ")} |`),
  ];
  return lines.join("\n");
}

export function markdownSection(section: SectionResult): string {
  const settings = Object.entries(section.settings).map(([k, v]) => `${k}=${v}`).join(", ");
  const parts = [`## ${section.title}`, "", `Settings: ${settings}`];
  for (const table of section.tables) parts.push("", `**${table.title}**`, "", markdownTable(table));
  for (const note of section.notes) parts.push("", `- ${note}`);
  return parts.join("\n");
}

export function metaLine(meta: RunMeta): string {
  const versions = Object.entries(meta.versions).map(([name, version]) => `${name} ${version}`).join(", ");
  return `Machine: ${meta.machine}; Node ${meta.node}; ${meta.postgres}; pgmq: ${meta.pgmq}; ${versions}; ` +
    `commit ${meta.commit}; mode ${meta.mode}; took ${meta.durationS} s.`;
}

export function markdownReport(meta: RunMeta, sections: SectionResult[]): string {
  return [
    `# pgpod benchmark, ${meta.date}`,
    "",
    metaLine(meta),
    ...sections.flatMap((s) => ["", markdownSection(s)]),
    "",
  ].join("\n");
}

/**
 * Writes <dir>/<date>-<mode>.json and .md, never over an earlier run: a
 * second run in the same minute gets a numbered name.
 */
export function writeResults(dir: string, meta: RunMeta, sections: SectionResult[]): { json: string; md: string } {
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `${meta.date.replace(/:/g, "-")}-${meta.mode}`);
  let stem = base;
  for (let n = 2; existsSync(`${stem}.json`) || existsSync(`${stem}.md`); n++) stem = `${base}-${n}`;
  const json = `${stem}.json`;
  const md = `${stem}.md`;
  writeFileSync(json, `${JSON.stringify({ meta, sections }, null, 2)}\n`, { flag: "wx" });
  writeFileSync(md, markdownReport(meta, sections), { flag: "wx" });
  return { json, md };
}
