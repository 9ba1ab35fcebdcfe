// `npm run bench [-- --quick]`: starts a throw-away local stack on free
// ports, runs the six sections in order, prints each as Markdown, writes
// bench/results/<date>.json and .md, and stops the stack whatever happened.
import { existsSync } from "node:fs";
import { cpus, release, totalmem, type } from "node:os";
import { join } from "node:path";
import { repoRoot, resolveConfig, stackEnv } from "../local/stack/config.ts";
import { freePort } from "../local/stack/ports.ts";
import * as stack from "../local/stack/stack.ts";
import { onStopSignal } from "../local/stop-signals.ts";
import { type BenchContext, connect, fullSizes, quickSizes, type Sizes } from "./context.ts";
import { endToEnd } from "./end-to-end.ts";
import { peers } from "./peers.ts";
import { physical } from "./physical.ts";
import { queueCore } from "./queue-core.ts";
import { markdownSection, type RunMeta, type SectionResult, writeResults } from "./report.ts";
import { scale } from "./scale.ts";
import { imageVariants } from "./variants.ts";

const say = (line: string) => process.stdout.write(`${line}\n`);

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, ${type()} ${release()}`;
}

/** Runs every section against a running stack, in order (section 3 compares with section 2). */
export async function runSections(ctx: BenchContext, onSection: (s: SectionResult) => void = () => {}): Promise<SectionResult[]> {
  const sections: SectionResult[] = [];
  const add = <T extends SectionResult>(section: T): T => {
    sections.push(section);
    onSection(section);
    return section;
  };
  add(await physical(ctx));
  const core = add(await queueCore(ctx));
  add(await peers(ctx, core));
  add(await endToEnd(ctx));
  add(await scale(ctx));
  add(imageVariants(ctx));
  return sections;
}

const usage = "usage: npm run bench [-- --quick]   (--quick: about one minute instead of about two)";

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
  onStopSignal(() => stack.remove(config));
  try {
    await stack.start(config);
    const env = await stackEnv(config);
    const ctx: BenchContext = { env, sizes, exclusive: true, log: (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} bench: ${line}\n`) };
    const sql = connect(env);
    const [{ version }] = await sql<{ version: string }[]>`select split_part(version(), ' on ', 1) as version`;
    await sql.end();
    say(`\npgpod benchmark (${quick ? "quick" : "full"}) on ${machine()}\n`);
    const sections = await runSections(ctx, (s) => say(`${markdownSection(s)}\n`));
    const meta: RunMeta = {
      date: new Date().toISOString().slice(0, 16) + "Z",
      machine: machine(),
      node: process.version,
      postgres: version,
      mode: quick ? "quick" : "full",
      durationS: Math.round((Date.now() - started) / 1000),
    };
    const written = writeResults(join(repoRoot, "bench", "results"), meta, sections);
    say(`took ${meta.durationS} s; results in ${written.md.replace(`${repoRoot}/`, "")} and ${written.json.replace(`${repoRoot}/`, "")}`);
    return 0;
  } finally {
    await stack.remove(config);
  }
}
