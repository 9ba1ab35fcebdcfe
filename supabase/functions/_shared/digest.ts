// SHA-256 of stored bytes, as the hex string recorded in pgpod.job_files.
import { createHash } from "node:crypto";

/** node:crypto hashes the bytes where they are; crypto.subtle.digest would copy them first. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
