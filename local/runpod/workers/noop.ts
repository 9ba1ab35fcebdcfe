import type { HandlerJob } from "../handlers.ts";

/** Returns at once, for benchmarks; with input.file: true, also one tiny text file. */
export function noopWorker(job: HandlerJob) {
  const wantsFile = typeof job.input === "object" && job.input !== null && (job.input as { file?: unknown }).file === true;
  if (!wantsFile) return { ok: true };
  return {
    ok: true,
    files: [{ filename: "noop.txt", content_type: "text/plain", data: Buffer.from(`noop ${job.id}\n`).toString("base64") }],
  };
}
