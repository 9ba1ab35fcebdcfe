// graphile-worker in its best documented configuration (docs: performance):
// 24 concurrent jobs, a local queue of 500 and completions batched without
// delay. The runner starts on each "go" and stops once the step's jobs ran.
import { Logger, run } from "graphile-worker";
import type { BenchWorker } from "./progress.ts";

export const graphileBest = {
  concurrency: 24,
  preset: { worker: { maxPoolSize: 25, localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
};

export function graphileWorker(options: Record<string, unknown>): BenchWorker {
  const connectionString = String(options.connectionString);
  const logger = new Logger(() => () => {});
  return {
    async process(progress, timeoutMs) {
      const runner = await run({
        connectionString,
        logger,
        noHandleSignals: true,
        taskList: { noop: async () => progress.add(1) },
        ...graphileBest,
      });
      try {
        await progress.done(timeoutMs);
      } finally {
        // Waits for running jobs and flushes the batched completions.
        await runner.stop();
      }
    },
    close: () => Promise.resolve(),
  };
}
