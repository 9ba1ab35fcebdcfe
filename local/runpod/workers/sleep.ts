import type { HandlerJob } from "../handlers.ts";
import { inputRecord, optionalNumber } from "./input.ts";

/** Waits input.ms milliseconds, or less when the job is stopped. */
export async function sleepWorker(job: HandlerJob) {
  const ms = optionalNumber(inputRecord(job.input), "ms", 1000);
  const startedAt = Date.now();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    job.signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return { slept_ms: Date.now() - startedAt };
}
