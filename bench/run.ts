// `npm run bench [-- --quick]`: starts a throw-away local stack on free
// ports, runs the sections in order, prints each as Markdown as it finishes
// and the targets at the end, writes bench/results/<date>-<mode>.json and .md,
// and stops the stack whatever happened.
import { existsSync } from "node:fs";
import { cpus, release, totalmem, type } from "node:os";
import { join } from "node:path";
import { repoRoot, resolveConfig, stackEnv } from "../local/stack/config.ts";
import { freePort } from "../local/stack/ports.ts";
import * as stack from "../local/stack/stack.ts";
import { onStopSignal } from "../local/stop-signals.ts";
import { type BenchContext, connect, fullSizes, quickSizes, type Sizes } from "./context.ts";
import { httpCeiling } from "./http-ceiling.ts";
import { physical } from "./physical.ts";
import { queue } from "./queue.ts";
import { markdownSection, metaLine, type RunMeta, type SectionResult, writeResults } from "./report.ts";
import { scale } from "./scale.ts";
import { targetsSection } from "./targets.ts";
import { imageVariants } from "./variants.ts";
import { gitCommit, packageVersion } from "./versions.ts";
import { webhookMemory } from "./webhook-memory.ts";

const say = (line: string) => process.stdout.write(`${line}\n`);

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, ${type()} ${release()}`;
}

/** The sections in the order they run; each returns one or more results. */
export const sectionRunners: ((ctx: BenchContext) => Promise<SectionResult | SectionResult[]>)[] = [
  physical,
  queue,
  httpCeiling,
  scale,
  webhookMemory,
  async (ctx) => imageVariants(ctx),
];

/** Runs every section against a running stack, then the targets table over all of them. */
export async function runSections(ctx: BenchContext, onSection: (s: SectionResult) => void = () => {}): Promise<SectionResult[]> {
  const sections: SectionResult[] = [];
  for (const run of sectionRunners) {
    const results = await run(ctx);
    for (const section of Array.isArray(results) ? results : [results]) {
      sections.push(section);
      onSection(section);
    }
  }
  const targets = targetsSection(sections);
  onSection(targets);
  return [targets, ...sections];
}

/** What a result records about the software it ran; `commit` is taken when the run starts. */
export async function runMeta(ctx: BenchContext, mode: RunMeta["mode"], durationS: number, commit: string): Promise<RunMeta> {
  const sql = connect(ctx.env);
  try {
    const [{ version }] = await sql<{ version: string }[]>`select split_part(version(), ' on ', 1) as version`;
    return {
      date: new Date().toISOString().slice(0, 16) + "Z",
      machine: machine(),
      node: process.version,
      postgres: version,
      pgmq: await stack.pgmqInUse(ctx.env.SUPABASE_DB_URL),
      versions: Object.fromEntries(["graphile-worker", "pg-boss", "deno"].map((name) => [name, packageVersion(name)])),
      commit,
      mode,
      durationS,
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

const usage = "usage: npm run bench [-- --quick]   (full: about 10 minutes on 2 idle cores; --quick: about 2)";

export async function main(args: string[]): Promise<number> {
  if (args.includes("--help")) {
    say(usage);
    return 0;
  }
  const unknown = args.filter((a) => a !== "--quick");
  if (unknown.length > 0) {
    say(`unknown option ${unknown[0]}\n${usage}`);
    return 2;
  }
  const quick = args.includes("--quick");
  const sizes: Sizes = quick ? quickSizes : fullSizes;
  const config = resolveConfig([
    "--state-dir", join(repoRoot, ".pgpod-bench"),
    "--db-port", String(await freePort()),
    "--api-port", String(await freePort()),
    "--runpod-port", String(await freePort()),
  ], {});
  if (existsSync(config.stateDir)) await stack.remove(config);
  const started = Date.now();
  const commit = gitCommit();
  onStopSignal(() => stack.remove(config));
  try {
    await stack.start(config);
    const env = await stackEnv(config);
    const ctx: BenchContext = { env, sizes, exclusive: true, log: (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} bench: ${line}\n`) };
    const mode = quick ? "quick" : "full";
    say(`\npgpod benchmark (${mode}) on ${machine()}\n`);
    const sections = await runSections(ctx, (s) => say(`${markdownSection(s)}\n`));
    const meta = await runMeta(ctx, mode, Math.round((Date.now() - started) / 1000), commit);
    say(metaLine(meta));
    const written = writeResults(join(repoRoot, "bench", "results"), meta, sections);
    say(`took ${meta.durationS} s; results in ${written.md.replace(`${repoRoot}/`, "")} and ${written.json.replace(`${repoRoot}/`, "")}`);
    return 0;
  } finally {
    await stack.remove(config);
  }
}
