// The type a stored file gets. A worker's declared type is untrusted: the
// bytes decide for every format file-type recognises (images, audio, video,
// archives, documents), and a declared type of such a format that the bytes
// do not carry becomes application/octet-stream. Types a browser runs (HTML,
// SVG, XML, scripts) would be stored XSS on the project's Storage domain, so
// they are stored only where the endpoint allows them (allow_active_outputs).
import { fileTypeFromBuffer, supportedMimeTypes } from "file-type";
import { OutputError } from "./errors.ts";
import { contentTypeFor } from "./outputs.ts";

const activeTypes = new Set([
  "text/html",
  "application/xhtml+xml",
  "image/svg+xml",
  "application/xml",
  "text/xml",
  "text/xsl",
  "application/xslt+xml",
  "text/javascript",
  "application/javascript",
  "application/x-javascript",
  "application/ecmascript",
  "text/ecmascript",
  "application/wasm",
]);

/** True for types a browser renders or runs as a document or script. */
export function isActiveContentType(type: string): boolean {
  return activeTypes.has(type) || type.endsWith("+xml");
}

/** What the bytes are, when file-type knows the format; otherwise the declared (or extension's) type. */
export async function detectedContentType(bytes: Uint8Array, filename: string, declared: string | undefined): Promise<string> {
  const detected = await fileTypeFromBuffer(bytes);
  if (detected) return detected.mime;
  const claimed = contentTypeFor(filename, declared);
  // A format file-type would have recognised, and the bytes are not it.
  return (supportedMimeTypes as ReadonlySet<string>).has(claimed) ? "application/octet-stream" : claimed;
}

export interface ActiveContentPolicy {
  publicBucket: boolean;
  allowActive: boolean;
}

/**
 * The type to store a file with. Active content where the endpoint does not
 * allow it is refused in a public bucket and kept as a download
 * (application/octet-stream) in a private one.
 */
export function storableContentType(type: string, policy: ActiveContentPolicy, what: string): string {
  if (!isActiveContentType(type) || policy.allowActive) return type;
  if (policy.publicBucket) {
    throw new OutputError(
      `${what} is ${type}; a public bucket takes HTML, SVG, XML and script files only from an endpoint with allow_active_outputs`,
    );
  }
  return "application/octet-stream";
}
