/** What the emulator counts per endpoint, including every injected fault. */
export const counterNames = [
  "requests",
  "rateLimited",
  "jobsSubmitted",
  "jobsCompleted",
  "jobsFailed",
  "jobsTimedOut",
  "jobsCancelled",
  "jobsRetried",
  "jobsPurged",
  "jobsExpiredTtl",
  "resultsExpired",
  "workerColdStarts",
  "webhookAttempts",
  "webhookDelivered",
  "webhookFailedAttempts",
  "webhookGaveUp",
  // injected faults
  "faultWebhookDropped",
  "faultWebhookDuplicated",
  "faultWebhookReordered",
  "faultWebhookDelayed",
  "faultWebhookSlowRepeats",
  "faultRunErrors",
  "faultRunHangs",
  "faultJobsLost",
  "faultCompletedWithoutOutput",
] as const;

export type CounterName = (typeof counterNames)[number];
export type Counters = Record<CounterName, number>;

export function zeroCounters(): Counters {
  return Object.fromEntries(counterNames.map((name) => [name, 0])) as Counters;
}
