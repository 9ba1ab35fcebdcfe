import type { HandlerJob } from "../handlers.ts";
import { inputRecord, requiredString } from "./input.ts";

/** Longest the worker waits for an input file. */
const readTimeoutMs = 10_000;

/**
 * Reads the audio at input.url (a signed Storage URL when the job references
 * an uploaded file) and "transcribes" it: the transcript names the file and
 * its size. Grouped mode: input { jobs: [{ job_id, input }] } -> output
 * { results: [{ job_id, output } | { job_id, error }] }; an item whose input
 * has fail: true, or whose audio cannot be read, gets an error while the
 * others succeed. Without `jobs` the input is one item and a failing one
 * fails the job.
 */
export async function transcribeWorker(job: HandlerJob) {
  const input = inputRecord(job.input);
  if (!("jobs" in input)) return await transcribe(input, job.signal);
  if (!Array.isArray(input.jobs)) throw new TypeError("input.jobs must be an array");
  return {
    results: await Promise.all(input.jobs.map(async (item: unknown, index) => {
      const entry = inputRecord(item);
      const jobId = requiredString(entry, "job_id", `input.jobs[${index}]`);
      try {
        return { job_id: jobId, output: await transcribe(entry.input, job.signal) };
      } catch (err) {
        return { job_id: jobId, error: err instanceof Error ? err.message : String(err) };
      }
    })),
  };
}

async function readAudio(url: string, signal: AbortSignal): Promise<number> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(readTimeoutMs)]) });
  } catch (err) {
    throw new Error(`could not read the audio: ${(err as Error).message}`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`could not read the audio: ${res.status} ${res.statusText}`);
  }
  return (await res.arrayBuffer()).byteLength;
}

async function transcribe(item: unknown, signal: AbortSignal) {
  const input = inputRecord(item);
  if (input.fail === true) throw new Error("transcription failed on purpose (input.fail)");
  const source = requiredString(input, "url");
  const bytes = await readAudio(source, signal);
  const name = new URL(source).pathname.split("/").filter(Boolean).at(-1) ?? source;
  const text = `Transcript of ${decodeURIComponent(name)} (${bytes} bytes).`;
  return { text, language: "en", audio_bytes: bytes, segments: [{ start: 0, end: 1.5, text }] };
}
