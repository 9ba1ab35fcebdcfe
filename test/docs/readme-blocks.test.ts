// The docs test's convention: which README blocks run, which are marked as not
// runnable here, and which break the convention.
import { describe, expect, it } from "vitest";
import { classify, codeBlocks } from "./readme-blocks.ts";
import { typecheckBlocks } from "./typecheck-blocks.ts";

const fence = "```";
const one = (markdown: string) => classify(codeBlocks(markdown)[0]);

describe("README code blocks", () => {
  it("finds fenced blocks in list items with their section and first code line", () => {
    const blocks = codeBlocks(`# Title\n\n## Deploying\n\n1. **Push.**\n\n   ${fence}sh\n   npx supabase db push\n   ${fence}\n\nText with ${fence}${fence}sql${fence}${fence} inline.\n${fence}\nplain\n${fence}\n`);
    expect(blocks).toEqual([
      { lang: "sh", line: 8, section: "Deploying", code: "npx supabase db push" },
      { lang: "", line: 13, section: "Deploying", code: "plain" },
    ]);
  });

  it("refuses a block that is never closed", () => {
    expect(() => codeBlocks(`${fence}sql\nselect 1;\n`)).toThrow("line 1: code block never closed");
  });

  it("runs sql and sh blocks, type-checks ts and leaves text alone", () => {
    expect(one(`${fence}sql\nselect 1;\n${fence}`).kind).toBe("run");
    expect(one(`${fence}sh\necho hi\n${fence}`).kind).toBe("run");
    expect(one(`${fence}ts\nconst a = 1;\n${fence}`).kind).toBe("typecheck");
    expect(one(`${fence}json\n{}\n${fence}`).kind).toBe("text");
    expect(one(`${fence}\noutput\n${fence}`).kind).toBe("text");
  });

  it("refuses languages the test would neither run nor check", () => {
    expect(() => one(`${fence}bash\necho hi\n${fence}`)).toThrow("a ```bash block is neither run nor checked");
    expect(() => one(`${fence}shell\necho hi\n${fence}`)).toThrow("use sh, sql or ts");
  });

  it("takes hosted-only blocks by their exact marker and its reason", () => {
    expect(one(`${fence}sh\n# hosted only: needs a linked project\nnpx supabase link\n${fence}`)).toMatchObject({ kind: "hosted", reason: "needs a linked project" });
    expect(one(`${fence}sql\n-- hosted only: vault on the project\nselect 1;\n${fence}`)).toMatchObject({ kind: "hosted" });
    expect(() => one(`${fence}sh\n# hosted only:\nnpx supabase link\n${fence}`)).toThrow('"# hosted only:" needs a reason');
    expect(() => one(`${fence}sh\n# Hosted only, needs a project\nnpx supabase link\n${fence}`)).toThrow("looks like a marker but is not one");
    expect(() => one(`${fence}sql\n-- not run locally\nselect 1;\n${fence}`)).toThrow("looks like a marker but is not one");
  });

  it("lets only commands that start their own stack skip as such", () => {
    expect(one(`${fence}sh\n# starts a stack of its own: throw-away\nnpm run demo   # comment\nnpm test\n${fence}`).kind).toBe("own-stack");
    expect(() => one(`${fence}sh\n# starts a stack of its own: throw-away\nnpm test\npsql -c 'drop table x'\n${fence}`)).toThrow(
      "\"psql -c 'drop table x'\" does not start a stack of its own",
    );
  });
});

describe("type-checking ts blocks", () => {
  it("reports an error at its README line and accepts the README's names", () => {
    const blocks = codeBlocks(`## Client\n\n${fence}ts\nconst { data } = await supabase.schema("pgpod").from("jobs").select();\nsupabase.form("jobs");\n${fence}\n`);
    const errors = typecheckBlocks(blocks);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^README line 5 \(Client\): Property 'form' does not exist/);
  }, 60_000);
});
