import type { HandlerJob } from "../handlers.ts";
import { inputRecord, requiredString } from "./input.ts";

/**
 * Grouped mode: input { jobs: [{ job_id, input }] } -> output
 * { results: [{ job_id, output } | { job_id, error }] }; an item whose input
 * has fail: true gets an error while the others succeed. Without `jobs` the
 * input is one item and a failing one fails the job.
 */
export function transcribeWorker(job: HandlerJob) {
  const input = inputRecord(job.input);
  if (!("jobs" in input)) return transcribe(input);
  if (!Array.isArray(input.jobs)) throw new TypeError("input.jobs must be an array");
  return {
    results: input.jobs.map((item: unknown, index) => {
      const entry = inputRecord(item);
      const jobId = requiredString(entry, "job_id", `input.jobs[${index}]`);
      try {
        return { job_id: jobId, output: transcribe(entry.input) };
      } catch (err) {
        return { job_id: jobId, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  };
}

function transcribe(item: unknown) {
  const input = inputRecord(item);
  if (input.fail === true) throw new Error("transcription failed on purpose (input.fail)");
  const source = requiredString(input, "url");
  const text = `Transcript of ${source.split("/").filter(Boolean).at(-1) ?? source}.`;
  return { text, language: "en", segments: [{ start: 0, end: 1.5, text }] };
}
