// Live progress: one redrawn bar on a terminal, a plain line every few
// seconds when the output is a file or a pipe (CI logs stay readable).
export const statuses = ["queued", "submitting", "submitted", "running", "succeeded", "failed", "cancelled"] as const;
export type Status = (typeof statuses)[number];
export const finalStatuses: readonly Status[] = ["succeeded", "failed", "cancelled"];

export interface Snapshot {
  /** Jobs the scenario will create. */
  planned: number;
  counts: Partial<Record<Status, number>>;
  elapsedMs: number;
}

export function finishedCount(s: Snapshot): number {
  return finalStatuses.reduce((sum, status) => sum + (s.counts[status] ?? 0), 0);
}

function describe(s: Snapshot): { finished: number; parts: string } {
  const finished = finishedCount(s);
  const inserted = statuses.reduce((sum, status) => sum + (s.counts[status] ?? 0), 0);
  const rate = s.elapsedMs > 0 ? finished / (s.elapsedMs / 1000) : 0;
  const parts = [
    `inserted ${inserted}`,
    ...statuses.map((status) => `${status} ${s.counts[status] ?? 0}`),
    `${rate.toFixed(1)} jobs/s`,
    `${Math.round(s.elapsedMs / 1000)}s`,
  ].join(" · ");
  return { finished, parts };
}

export interface ProgressDisplay {
  update(snapshot: Snapshot): void;
  /** Ends the bar's line so later output starts on a fresh one. */
  finish(snapshot: Snapshot): void;
}

export function progressDisplay(out: NodeJS.WriteStream, plainEveryMs = 2000): ProgressDisplay {
  if (out.isTTY) {
    const draw = (s: Snapshot) => {
      const { finished, parts } = describe(s);
      const width = 24;
      const filled = s.planned > 0 ? Math.min(width, Math.round((finished / s.planned) * width)) : 0;
      const line = `[${"█".repeat(filled)}${"░".repeat(width - filled)}] ${finished}/${s.planned} · ${parts}`;
      out.write(`\r\x1b[2K${line.slice(0, (out.columns || 200) - 1)}`);
    };
    return { update: draw, finish: (s) => { draw(s); out.write("\n"); } };
  }
  let lastPrinted = -Infinity;
  const print = (s: Snapshot) => {
    const { finished, parts } = describe(s);
    out.write(`progress: ${finished}/${s.planned} finished · ${parts}\n`);
  };
  return {
    update(s) {
      if (s.elapsedMs - lastPrinted < plainEveryMs) return;
      lastPrinted = s.elapsedMs;
      print(s);
    },
    finish: print,
  };
}
