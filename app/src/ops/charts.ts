// Live charts of the last 10 minutes with uPlot: queue depth sampled at each
// snapshot, and throughput from the snapshot's 10 s bins of finished jobs.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Snapshot } from "./snapshot.ts";

const windowS = 600;
const binS = 10;
const size = { width: 520, height: 220 };

interface DepthSample {
  t: number;
  queued: number;
  inFlight: number;
}

/** A chart whose x axis always spans the window ending at `view.end`, and whose y axis starts at 0. */
function chart(target: HTMLElement, view: { end: number }, series: Array<{ label: string; stroke: string }>): uPlot {
  return new uPlot(
    {
      ...size,
      scales: {
        x: { time: true, range: () => [view.end - windowS, view.end] },
        y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
      },
      series: [{}, ...series.map((s) => ({ ...s, width: 2, points: { show: false } }))],
      axes: [{}, { size: 40 }],
    },
    [[], ...series.map(() => [])],
    target,
  );
}

export class OpsCharts {
  private readonly depth: uPlot;
  private readonly throughput: uPlot;
  private readonly samples: DepthSample[] = [];
  private readonly view = { end: Date.now() / 1000 };

  constructor(depthTarget: HTMLElement, throughputTarget: HTMLElement) {
    this.depth = chart(depthTarget, this.view, [
      { label: "queued", stroke: "#d97706" },
      { label: "in flight", stroke: "#2563eb" },
    ]);
    this.throughput = chart(throughputTarget, this.view, [
      { label: "succeeded/s", stroke: "#16a34a" },
      { label: "failed/s", stroke: "#dc2626" },
    ]);
  }

  update(snapshot: Snapshot): void {
    const now = Date.parse(snapshot.at) / 1000;
    this.view.end = now;
    const sum = (pick: (s: Snapshot["endpoint_stats"][number]) => number) =>
      snapshot.endpoint_stats.reduce((n, s) => n + pick(s), 0);
    this.samples.push({ t: now, queued: sum((s) => s.queued), inFlight: sum((s) => s.in_flight) });
    while (this.samples.length > 0 && this.samples[0].t < now - windowS) this.samples.shift();
    this.depth.setData([this.samples.map((s) => s.t), this.samples.map((s) => s.queued), this.samples.map((s) => s.inFlight)]);

    // Every 10 s bin of the window, empty ones included, so quiet periods show as zero.
    const firstBin = Math.floor((now - windowS) / binS) * binS;
    const bins = Array.from({ length: windowS / binS + 1 }, (_, i) => firstBin + i * binS);
    const succeeded = new Map<number, number>();
    const failed = new Map<number, number>();
    for (const b of snapshot.finished) {
      const t = Date.parse(b.bin) / 1000;
      succeeded.set(t, (succeeded.get(t) ?? 0) + b.succeeded);
      failed.set(t, (failed.get(t) ?? 0) + b.failed);
    }
    this.throughput.setData([
      bins,
      bins.map((t) => (succeeded.get(t) ?? 0) / binS),
      bins.map((t) => (failed.get(t) ?? 0) / binS),
    ]);
  }
}
