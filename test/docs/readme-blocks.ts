// The fenced code blocks of a Markdown file, and what the docs test does with
// each. The convention, enforced by test/docs/readme.test.ts:
// - ```sql blocks run in psql against the docs test's own stack, in README order;
// - ```sh blocks run in bash (with `set -e -o pipefail`) from the repo root, with
//   PGPOD_STATE_DIR pointing at that stack and no other stack variable set;
// - ```ts blocks are type-checked against the names in test/docs/ts-globals.ts;
// - a sql or sh block whose first line is `-- hosted only: <why>` or
//   `# hosted only: <why>` needs a hosted Supabase project and is listed as such;
// - an sh block whose first line is `# starts a stack of its own: <why>` holds only
//   `npm run demo`, `npm run bench` or `npm test`, each covered by its own test;
// - json, mermaid and plain blocks are not code to run; any other language is an
//   error, so an example cannot escape the test by its spelling (```bash, ```shell).

export type BlockKind = "run" | "typecheck" | "hosted" | "own-stack" | "text";

export interface CodeBlock {
  lang: string;
  /** 1-based line of the block's first code line in the Markdown file. */
  line: number;
  /** The nearest heading above the block. */
  section: string;
  code: string;
}

export interface ClassifiedBlock extends CodeBlock {
  kind: BlockKind;
  /** Why the block is not run, from its marker line. */
  reason?: string;
}

const runnable = new Set(["sql", "sh"]);
const notCode = new Set(["", "json", "mermaid"]);
const ownStackCommand = /^(npm run (demo|bench)|npm test)\b/;

export const markers = {
  hosted: { sql: "-- hosted only:", sh: "# hosted only:" },
  ownStack: "# starts a stack of its own:",
} as const;

export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split("\n");
  const blocks: CodeBlock[] = [];
  let section = "";
  for (let i = 0; i < lines.length; i++) {
    const heading = /^#{1,6} (.*)$/.exec(lines[i]);
    if (heading) {
      section = heading[1].trim();
      continue;
    }
    const open = /^( *)```([^`]*)$/.exec(lines[i]); // a backtick after it makes inline code
    if (!open) continue;
    const indent = open[1].length;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !/^ *```\s*$/.test(lines[j])) body.push(lines[j++].slice(indent));
    if (j === lines.length) throw new Error(`line ${i + 1}: code block never closed`);
    blocks.push({ lang: open[2].trim().split(/\s+/)[0], line: i + 2, section, code: body.join("\n") });
    i = j;
  }
  return blocks;
}

/** What the docs test does with a block; throws when the block breaks the convention. */
export function classify(block: CodeBlock): ClassifiedBlock {
  const where = `README line ${block.line} (${block.section})`;
  if (notCode.has(block.lang)) return { ...block, kind: "text" };
  if (block.lang === "ts") return { ...block, kind: "typecheck" };
  if (!runnable.has(block.lang)) {
    throw new Error(`${where}: a \`\`\`${block.lang} block is neither run nor checked; use sh, sql or ts`);
  }
  const first = block.code.split("\n")[0].trim();
  const hosted = markers.hosted[block.lang as "sql" | "sh"];
  if (first.startsWith(hosted)) return { ...block, kind: "hosted", reason: reasonAfter(first, hosted, where) };
  if (block.lang === "sh" && first.startsWith(markers.ownStack)) {
    const other = commands(block.code).find((command) => !ownStackCommand.test(command));
    if (other) throw new Error(`${where}: "${other}" does not start a stack of its own; only npm run demo, npm run bench and npm test do`);
    return { ...block, kind: "own-stack", reason: reasonAfter(first, markers.ownStack, where) };
  }
  if (/hosted|own stack|stack of its own|not run/i.test(first) && /^(--|#)/.test(first)) {
    throw new Error(`${where}: "${first}" looks like a marker but is not one; write "${hosted} <why>" exactly`);
  }
  return { ...block, kind: "run" };
}

function reasonAfter(line: string, marker: string, where: string): string {
  const reason = line.slice(marker.length).trim();
  if (!reason) throw new Error(`${where}: "${marker}" needs a reason after it`);
  return reason;
}

/** The shell commands of a block: its lines without comments and blank lines. */
function commands(code: string): string[] {
  return code
    .split("\n")
    .map((line) => line.replace(/(^|\s)#.*$/, "").trim())
    .filter(Boolean);
}
