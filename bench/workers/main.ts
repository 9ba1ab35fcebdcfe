// Entry point of a bench worker process: `node --import tsx main.ts <kind> <options JSON>`.
// It loads its system's client, says "ready", then handles one step per "go"
// from the parent, so module loading and connecting are never timed.
import type { BenchWorker, ChildMessage, ParentMessage, WorkerKind } from "./progress.ts";
import { Progress, clock } from "./progress.ts";

const send = (message: ChildMessage) => process.send?.(message);

async function load(kind: WorkerKind, options: Record<string, unknown>): Promise<BenchWorker> {
  switch (kind) {
    case "pgpod": return (await import("./pgpod.ts")).pgpodWorker(options);
    case "graphile-worker": return (await import("./graphile-worker.ts")).graphileWorker(options);
    case "pg-boss": return (await import("./pg-boss.ts")).pgBossWorker(options);
  }
}

const [kind, json] = process.argv.slice(2);
const worker = await load(kind as WorkerKind, JSON.parse(json ?? "{}"));
process.on("message", (message: ParentMessage) => {
  if (message.type === "exit") {
    void worker.close().finally(() => process.exit(0));
    return;
  }
  const progress = new Progress(message.jobs);
  worker.process(progress, message.timeoutMs).then(
    () => send({ type: "done", handled: progress.handled, marks: progress.marks, finishedAt: clock() }),
    (error: Error) => send({ type: "failed", error: error.stack ?? error.message }),
  );
});
// The parent going away ends this process too.
process.on("disconnect", () => void worker.close().finally(() => process.exit(0)));
send({ type: "ready" });
