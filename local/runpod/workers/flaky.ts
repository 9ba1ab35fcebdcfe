import type { HandlerJob } from "../handlers.ts";
import { inputRecord, optionalNumber, requiredString } from "./input.ts";

/** Failures so far per input.key, for jobs that fail their first input.fail_times runs. */
const failuresByKey = new Map<string, number>();

/**
 * Fails always with input.fail: true; the first input.fail_times runs of the
 * same input.key (a retried job sends the same input again); or with
 * probability input.failure_rate (0..1), rolled on the emulator's dice.
 */
export function flakyWorker(job: HandlerJob) {
  const input = inputRecord(job.input);
  if (input.fail === true) throw new Error("flaky worker failed on purpose");
  const failTimes = optionalNumber(input, "fail_times", 0);
  if (failTimes > 0) {
    const key = requiredString(input, "key");
    const failed = failuresByKey.get(key) ?? 0;
    if (failed < failTimes) {
      failuresByKey.set(key, failed + 1);
      throw new Error(`flaky worker failed on purpose (${failed + 1} of ${failTimes})`);
    }
    return { ok: true, failed_before: failed };
  }
  if (job.chance(optionalNumber(input, "failure_rate", 0.5))) throw new Error("flaky worker failed on purpose");
  return { ok: true };
}
