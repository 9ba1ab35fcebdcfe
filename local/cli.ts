// Dispatches the npm scripts (see local/bin/run.mjs, which installs what is
// missing first) to their modules.
const [command, ...args] = process.argv.slice(2);

async function run(): Promise<number> {
  switch (command) {
    case "stack":
      return (await import("./stack/stack.ts")).main(args);
    case "test":
      return (await import("./test-runner.ts")).main(args);
    case "demo": return (await import("../scripts/demo.ts")).main(args);
    case "import-files": return (await import("../scripts/import-files.ts")).main(args);
    case "app": return (await import("../app/server/main.ts")).main(args);
    case "bench": return (await import("../bench/run.ts")).main(args);
    case "types": return (await import("./types.ts")).main();
    case "runpod-emulator":
      await (await import("./runpod/cli.ts")).main(args);
      return 0;
    default:
      process.stderr.write(`unknown command "${command}"\n`);
      return 2;
  }
}

run().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`\npgpod: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
