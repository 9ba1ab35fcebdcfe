// Keeps `npm run bench` working: every section at tiny sizes against the
// shared test stack, checking the shape of what it reports (never its speed).
import { describe, expect, it } from "vitest";
import type { BenchContext } from "../../bench/context.ts";
import { markdownReport, markdownSection, markdownTable, percentile, ratio, type SectionResult, spread, summarize, writeResults } from "../../bench/report.ts";
import { steadyRate } from "../../bench/worker-process.ts";
import { runMeta, runSections } from "../../bench/run.ts";
import { gitCommit } from "../../bench/versions.ts";
import { stack } from "../support/stack.ts";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ctx: BenchContext = {
  env: stack(),
  sizes: {
    concurrency: 2,
    jobs: 20,
    singleRowJobs: 10,
    physicalRows: 20,
    rounds: 2,
    drainTimeoutS: 20,
    ceiling: { startRate: 4, maxRate: 8, probeSeconds: 1, bisections: 1, searches: 1, halfCeilingRuns: 1, endpoints: 2 },
    depths: [50, 200],
    claimsPerDepth: 2,
    webhookMiB: 1,
    cronEveryS: 1,
    loadBudgetS: 5,
    variantMegapixels: [0.05],
  },
  // Other test files use this stack at the same time: leave its dispatcher alone.
  exclusive: false,
  log: () => {},
};

function expectWellFormed(section: SectionResult) {
  expect(section.title).toMatch(/^(\d\. |Targets$)/);
  expect(Object.keys(section.settings).length).toBeGreaterThan(0);
  expect(section.tables.length).toBeGreaterThan(0);
  for (const table of section.tables) {
    expect(table.rows.length).toBeGreaterThan(0);
    for (const row of table.rows) expect(row).toHaveLength(table.columns.length);
    const lines = markdownTable(table).split("\n");
    expect(lines).toHaveLength(table.rows.length + 2);
    for (const line of lines) expect(line.split(" | ")).toHaveLength(table.columns.length);
  }
}

describe("bench smoke", () => {
  it("runs every section and reports well-formed tables, Markdown and JSON", { timeout: 120_000 }, async () => {
    const sections = await runSections(ctx);
    expect(sections.map((s) => s.id)).toEqual(["targets", "physical", "queue", "writes", "http", "scale", "webhook-memory", "image-variants"]);
    for (const section of sections) expectWellFormed(section);

    // Every target found its figure (whatever its value).
    const targets = sections[0].tables[0];
    expect(targets.rows).toHaveLength(7);
    for (const row of targets.rows) expect(["met", "not met"]).toContain(row[3]);

    const queue = sections.find((s) => s.id === "queue")!;
    expect(queue.tables[0].rows.map((r) => String(r[0]))).toEqual(["pgpod", "graphile-worker 0.18.0 (best)", "pg-boss 12.35.0 (tuned)"]);
    // Each system's figures have one sample per round.
    expect(queue.figures["pgpod.enqueue_single_per_s"].samples).toHaveLength(2);
    expect(queue.figures["graphile-worker.process_with_startup_per_s"].samples).toHaveLength(2);
    expect(queue.figures["ratio.enqueue_bulk_vs_best_peer"].samples).toHaveLength(2);

    const writes = sections.find((s) => s.id === "writes")!;
    for (const key of ["pgpod", "graphile-worker", "pg-boss"]) expect(writes.figures[`${key}.rows_per_job`].median).toBeGreaterThan(0);
    expect(writes.figures["pgpod.server_ms_per_job.claim_runs"].samples).toHaveLength(2);

    const http = sections.find((s) => s.id === "http")!;
    // Jobs went all the way through (how many in time depends on the shared machine).
    const probes = http.tables[1].rows;
    expect(probes.at(-1)![0]).toBe("half ceiling");
    expect(probes.reduce((n, row) => n + Number(row[4]), 0)).toBeGreaterThan(0);
    for (const row of probes) expect(["pass", "fail"]).toContain(row[10]);

    const memory = sections.find((s) => s.id === "webhook-memory")!.tables[0].rows;
    expect(memory).toHaveLength(2);
    for (const row of memory) expect(row.slice(2, 4)).toEqual([200, "yes"]);

    const dir = mkdtempSync(join(tmpdir(), "pgpod-bench-"));
    try {
      const meta = { ...(await runMeta(ctx, "smoke", 1, gitCommit())), date: "2026-01-01T00:00Z" };
      expect(meta.pgmq).toMatch(/^(real extension|local stand-in)/);
      const written = writeResults(dir, meta, sections);
      expect(JSON.parse(readFileSync(written.json, "utf8"))).toEqual(JSON.parse(JSON.stringify({ meta, sections })));
      const md = readFileSync(written.md, "utf8");
      expect(md).toBe(markdownReport(meta, sections));
      for (const section of sections) expect(md).toContain(markdownSection(section));
      // A second run in the same minute gets files of its own.
      const again = writeResults(dir, meta, sections);
      expect(again.json).not.toBe(written.json);
      expect(readdirSync(dir)).toHaveLength(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("computes percentiles by nearest rank and ratios with a missing side", () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 99)).toBe(5);
    expect(percentile([], 50)).toBeNull();
    expect(ratio(3, 2)).toBe("1.50×");
    expect(ratio(null, 2)).toBe("n/a");
    expect(ratio(1, 0)).toBe("n/a");
  });

  it("summarises rounds as median and range, and times the steady part of a step", () => {
    const s = summarize([3, 1, Number.NaN, 2]);
    expect(s).toEqual({ median: 2, min: 1, max: 3, samples: [3, 1, 2] });
    expect(spread(s)).toBe("2 (1–3)");
    expect(spread(summarize([5]))).toBe("5");
    expect(spread(summarize([]))).toBe("–");
    const marks = Array.from({ length: 11 }, (_, k) => ({ count: k * 100, at: 1000 + k * 50 }));
    // 800 jobs between the 10 % and 90 % marks, 400 ms apart.
    expect(steadyRate(marks)).toBe(2000);
    expect(steadyRate([...marks.slice(0, 9), null, null])).toBeNull();
  });
});
