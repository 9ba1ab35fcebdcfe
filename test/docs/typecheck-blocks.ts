// Type-checks ```ts examples with the TypeScript compiler, each as a module of
// its own that sees only the names in readme-globals.d.ts and the repo's
// node_modules. Errors are reported at their README line.
import { dirname, join } from "node:path";
import ts from "typescript";
import type { CodeBlock } from "./readme-blocks.ts";

const here = import.meta.dirname;
const globalsFile = join(here, "readme-globals.d.ts");

/** One message per error, naming its README line; none when every block checks. */
export function typecheckBlocks(blocks: CodeBlock[]): string[] {
  // The files live next to this one (they are never written) so imports resolve
  // from the repo; `export {}` makes each a module, which allows top-level await.
  const files = new Map(blocks.map((block) => [join(here, `readme-line-${block.line}.ts`), block]));
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    types: [],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    // the workspace's @pgpod/client resolves to its TypeScript sources
    customConditions: ["source"],
    allowImportingTsExtensions: true,
  };
  const host = ts.createCompilerHost(options);
  const source = (file: string) => {
    const block = files.get(file);
    return block ? `${block.code}\nexport {};\n` : undefined;
  };
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (file) => files.has(file) || fileExists.call(host, file);
  host.readFile = (file) => source(file) ?? readFile.call(host, file);
  host.getSourceFile = (file, language, ...rest) => {
    const text = source(file);
    return text === undefined ? getSourceFile.call(host, file, language, ...rest) : ts.createSourceFile(file, text, language);
  };
  const program = ts.createProgram([globalsFile, ...files.keys()], options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
    const block = diagnostic.file && files.get(diagnostic.file.fileName);
    if (!block || diagnostic.start === undefined) return `${diagnostic.file ? dirname(diagnostic.file.fileName) : ""} ${message}`.trim();
    const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start);
    return `README line ${block.line + line} (${block.section}): ${message}`;
  });
}
