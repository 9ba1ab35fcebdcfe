// Keeps `npm run bench` working: every section at tiny sizes against the
// shared test stack, checking the shape of what it reports (never its speed).
import { describe, expect, it } from "vitest";
import type { BenchContext } from "../../bench/context.ts";
import { markdownReport, markdownSection, markdownTable, percentile, ratio, type SectionResult, writeResults } from "../../bench/report.ts";
import { machine, runSections } from "../../bench/run.ts";
import { stack } from "../support/stack.ts";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ctx: BenchContext = {
  env: stack(),
  sizes: {
    concurrency: 2,
    jobs: 20,
    e2eRate: 4,
    e2eSeconds: 1,
    depths: [50, 200],
    claimsPerDepth: 2,
    webhookMiB: 1,
    drainTimeoutS: 3,
    cronEveryS: 1,
    loadBudgetS: 5,
    variantMegapixels: [0.05],
  },
  // Other test files use this stack at the same time: leave its dispatcher alone.
  exclusive: false,
  log: () => {},
};

function expectWellFormed(section: SectionResult) {
  expect(section.title).toMatch(/^\d\. /);
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
  it("runs every section and reports well-formed tables, Markdown and JSON", { timeout: 60_000 }, async () => {
    const sections = await runSections(ctx);
    expect(sections.map((s) => s.id)).toEqual(["physical", "queue-core", "peers", "end-to-end", "scale", "image-variants"]);
    for (const section of sections) expectWellFormed(section);

    const peers = sections.find((s) => s.id === "peers")!;
    expect(peers.tables[0].rows.map((r) => String(r[0]))).toEqual([
      "pgpod (section 2)",
      "graphile-worker 0.18.0 (default)",
      "graphile-worker 0.18.0 (best)",
      "pg-boss 12.35.0 (default)",
      "pg-boss 12.35.0 (best)",
    ]);
    for (const row of peers.tables[0].rows) expect(String(row[5])).toMatch(/^\d+\.\d\d×$/);

    const e2e = sections.find((s) => s.id === "end-to-end")!;
    expect(e2e.tables[0].rows[0][1]).toBe(4);

    const memory = sections.find((s) => s.id === "scale")!.tables[1].rows[0];
    expect(memory[2]).toBe(200);
    expect(memory[3]).toBe("yes");

    const dir = mkdtempSync(join(tmpdir(), "pgpod-bench-"));
    try {
      const meta = { date: "2026-01-01T00:00Z", machine: machine(), node: process.version, postgres: "PostgreSQL 15", mode: "smoke" as const, durationS: 1 };
      const written = writeResults(dir, meta, sections);
      expect(JSON.parse(readFileSync(written.json, "utf8"))).toEqual({ meta, sections });
      const md = readFileSync(written.md, "utf8");
      expect(md).toBe(markdownReport(meta, sections));
      for (const section of sections) expect(md).toContain(markdownSection(section));
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
});
