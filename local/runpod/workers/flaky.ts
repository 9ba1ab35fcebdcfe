import type { HandlerJob } from "../handlers.ts";
import { inputRecord, optionalNumber } from "./input.ts";

/** Fails with probability input.failure_rate (0..1), rolled on the emulator's dice, or always with input.fail: true. */
export function flakyWorker(job: HandlerJob) {
  const input = inputRecord(job.input);
  const failureRate = optionalNumber(input, "failure_rate", 0.5);
  if (input.fail === true || job.chance(failureRate)) throw new Error("flaky worker failed on purpose");
  return { ok: true };
}
