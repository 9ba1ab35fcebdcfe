// Section 7: what the webhook's image variants cost (a WebP thumbnail and a
// WebP conversion of one PNG, supabase/functions/_shared/image-variants.ts)
// under Deno with the function's own dependencies: CPU time per megapixel and
// peak resident memory, the two limits of an Edge Function (2 s of CPU, 256
// MB). Each size runs in a fresh Deno process (bench/variants-probe.ts), whose
// first image pays for compiling the wasm codecs, as a cold function does.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { denoBin, denoEnv } from "../local/bin/deno.mjs";
import { repoRoot } from "../local/stack/config.ts";
import { variantLimits } from "../supabase/functions/_shared/variant-files.ts";
import type { BenchContext } from "./context.ts";
import { round, type SectionResult, summarize } from "./report.ts";

const thumbnailWidth = 256;

interface ProbeResult {
  idleMb: number;
  peakMb: number;
  keptMb: number;
  cold: { cpuMs: number; bytes: Record<string, number> };
  warm: { cpuMs: number; bytes: Record<string, number> };
}

export interface VariantCost {
  megapixels: number;
  width: number;
  height: number;
  pngBytes: number;
  coldCpuMs: number;
  warmCpuMs: number;
  peakMb: number;
  keptMb: number;
  idleMb: number;
}

export interface VariantsResult extends SectionResult {
  costs: VariantCost[];
}

/** A square PNG of about `megapixels` that looks like a render: smooth shapes, fine grain. */
function renderLikePng(megapixels: number): { png: Buffer; width: number; height: number } {
  const side = Math.round(Math.sqrt(megapixels * 1_000_000));
  const image = new PNG({ width: side, height: side });
  let seed = 12345;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const grain = ((seed >> 16) & 31) - 16;
      const i = (y * side + x) * 4;
      const shade = 128 + 60 * Math.sin(x / 37) + 50 * Math.cos(y / 23);
      image.data[i] = shade + grain;
      image.data[i + 1] = 128 + 80 * Math.sin((x + y) / 51) + grain;
      image.data[i + 2] = 255 - shade + grain;
      image.data[i + 3] = 255;
    }
  }
  return { png: PNG.sync.write(image), width: side, height: side };
}

function probe(file: string): ProbeResult {
  const run = spawnSync(
    denoBin,
    // -A: the probe reads its own /proc/self/status for the peak, which Deno grants only with every permission.
    ["run", "--cached-only", "-A", "--v8-flags=--expose-gc", "--config", join(repoRoot, "supabase/functions/pgpod-webhook/deno.json"), join(repoRoot, "bench/variants-probe.ts"), file, "image/png", String(thumbnailWidth)],
    { cwd: repoRoot, env: denoEnv(), encoding: "utf8" },
  );
  if (run.status !== 0) throw new Error(`variants probe failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as ProbeResult;
}

export function imageVariants(ctx: BenchContext): VariantsResult {
  const dir = mkdtempSync(join(tmpdir(), "pgpod-bench-variants-"));
  const costs: VariantCost[] = [];
  try {
    for (const megapixels of ctx.sizes.variantMegapixels) {
      const { png, width, height } = renderLikePng(megapixels);
      const file = join(dir, `${width}x${height}.png`);
      writeFileSync(file, png);
      ctx.log(`variants: ${width}×${height} PNG, thumbnail ${thumbnailWidth} px and WebP conversion`);
      const result = probe(file);
      costs.push({
        megapixels: (width * height) / 1_000_000,
        width,
        height,
        pngBytes: png.length,
        coldCpuMs: result.cold.cpuMs,
        warmCpuMs: result.warm.cpuMs,
        peakMb: result.peakMb,
        keptMb: result.keptMb,
        idleMb: result.idleMb,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    id: "image-variants",
    title: "7. Image variants in the webhook: wasm codecs under Deno",
    settings: {
      codecs: "@jsquash/png 3.1.1, @jsquash/resize 2.1.1, @jsquash/webp 1.5.0",
      thumbnail: `${thumbnailWidth} px wide, WebP q75`,
      conversion: "WebP q80, method 2",
      cap: `${variantLimits.maxMegapixels} MP per image`,
      delivery_budget: `${variantLimits.deliveryMegapixels} MP`,
    },
    tables: [{
      title: "Thumbnail + WebP conversion of one PNG, CPU time (user + system) and peak RSS of the Deno process",
      columns: ["image", "MP", "PNG MB", "CPU ms, cold", "CPU ms, warm", "warm ms/MP", "peak RSS MB", "kept RSS MB", "idle RSS MB"],
      rows: costs.map((c) => [
        `${c.width}×${c.height}`,
        round(c.megapixels),
        round(c.pngBytes / 1e6),
        round(c.coldCpuMs),
        round(c.warmCpuMs),
        round(c.warmCpuMs / c.megapixels),
        round(c.peakMb),
        round(c.keptMb),
        round(c.idleMb),
      ]),
    }],
    notes: [
      "Cold: the first image in a fresh process, which also compiles the wasm codecs (a cold function's first delivery); warm: the same image again.",
      "Kept: resident after a garbage collection; the codecs' wasm memory stays at its largest size for the life of the function instance.",
      "An Edge Function allows 2 s of CPU and 256 MB per request; the webhook's other work (base64, SHA-256, Storage, SQL) comes on top.",
    ],
    figures: { "variants.warm_cpu_ms_per_megapixel": summarize(costs.map((c) => c.warmCpuMs / c.megapixels)) },
    costs,
  };
}
