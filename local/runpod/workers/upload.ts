import { basename } from "node:path";
import type { HandlerJob } from "../handlers.ts";
import { inputRecord, requiredString } from "./input.ts";
import { renderPromptPng } from "./png.ts";

/**
 * Uploads a rendered PNG through each signed upload URL pgpod put in its
 * input (input.upload, or the array input.uploads) and returns where the
 * files went. It never holds a key: the signed URL is the only credential.
 */
export async function uploadWorker(job: HandlerJob) {
  const input = inputRecord(job.input);
  const targets = Array.isArray(input.uploads) ? input.uploads : input.upload !== undefined ? [input.upload] : [];
  if (targets.length === 0) throw new TypeError("input.upload or input.uploads must give at least one signed upload URL");
  const prompt = typeof input.prompt === "string" ? input.prompt : job.id;
  const files = [];
  for (const [index, target] of targets.entries()) {
    const where = Array.isArray(input.uploads) ? `input.uploads[${index}]` : "input.upload";
    const upload = inputRecord(target);
    const url = requiredString(upload, "url", where);
    const storagePath = requiredString(upload, "storage_path", where);
    const filename = typeof upload.filename === "string" && upload.filename !== "" ? upload.filename : basename(storagePath);
    // Sent the way storage-js uploadToSignedUrl sends a raw body.
    const res = await fetch(url, {
      method: "PUT",
      headers: { "content-type": "image/png", "x-upsert": String(upload.upsert === true) },
      body: new Uint8Array(renderPromptPng(`${prompt} ${index}`)),
      signal: job.signal,
    });
    if (!res.ok) throw new Error(`upload of ${storagePath} failed: HTTP ${res.status} ${await res.text()}`);
    await res.arrayBuffer().catch(() => undefined);
    files.push({ filename, storage_path: storagePath, content_type: "image/png" });
  }
  return { files };
}
