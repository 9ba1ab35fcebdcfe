// Run by bench/variants.ts under Deno, with pgpod-webhook's deno.json: makes
// the variants of one image file the way the webhook does, twice (the first
// in a fresh isolate, so it pays for compiling the wasm codecs), and prints
// the CPU time of each, the process's peak resident memory, and what it still
// holds after a garbage collection (the codecs' wasm memory never shrinks) as
// JSON. Run with --v8-flags=--expose-gc.
import process from "node:process";
import { checkedSize, encodeVariants } from "../supabase/functions/_shared/image-variants.ts";

const [file, contentType, thumbnailWidth] = Deno.args;
const settings = { thumbnailWidth: Number(thumbnailWidth), webp: true, maxMegapixels: Infinity };

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function residentMb(field: "VmRSS" | "VmHWM"): number {
  const line = Deno.readTextFileSync("/proc/self/status").split("\n").find((l) => l.startsWith(`${field}:`));
  return line ? Number(line.replace(/\D+/g, "")) / 1024 : Deno.memoryUsage().rss / 2 ** 20;
}

const bytes = await Deno.readFile(file);
const idleMb = residentMb("VmRSS");
const runs: Array<{ cpuMs: number; bytes: Record<string, number> }> = [];
for (let i = 0; i < 2; i++) {
  const started = cpuMs();
  const size = checkedSize(bytes, contentType, settings.maxMegapixels);
  const variants = await encodeVariants(bytes, contentType, size, settings);
  runs.push({ cpuMs: cpuMs() - started, bytes: Object.fromEntries(variants.map((v) => [v.kind, v.bytes.byteLength])) });
}
const peakMb = residentMb("VmHWM");
(globalThis as unknown as { gc: () => void }).gc();
await new Promise((resolve) => setTimeout(resolve, 50));
console.log(JSON.stringify({ idleMb, peakMb, keptMb: residentMb("VmRSS"), cold: runs[0], warm: runs[1] }));
