// pg-boss tuned for throughput: batches of 100, 8 local workers, fetching again
// at once when a batch was full, a 0.5 s poll. An instance starts on each
// "go" and stops (gracefully, completing its last batch) once the step ran.
import { PgBoss } from "pg-boss";
import type { BenchWorker } from "./progress.ts";

export const pgBossQueueName = "noop";

export const pgBossBest = { batchSize: 100, localConcurrency: 8, burstWhenBatchFull: true, pollingIntervalSeconds: 0.5 };

export function pgBossWorker(options: Record<string, unknown>): BenchWorker {
  const connectionString = String(options.connectionString);
  return {
    async process(progress, timeoutMs) {
      const boss = new PgBoss({ connectionString, max: pgBossBest.localConcurrency + 2 });
      boss.on("error", (error) => process.stderr.write(`pg-boss worker: ${error.message}\n`));
      await boss.start();
      try {
        await boss.work(pgBossQueueName, pgBossBest, async (jobs) => progress.add(jobs.length));
        await progress.done(timeoutMs);
      } finally {
        await boss.stop({ graceful: true, close: true, timeout: 30_000 });
      }
    },
    close: () => Promise.resolve(),
  };
}
