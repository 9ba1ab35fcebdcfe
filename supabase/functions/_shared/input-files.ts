// Input files (README "Input files"): a job's input references Storage
// objects as {"$storage": {"bucket": "...", "path": "..."}} anywhere in its
// JSON. The insert already checked that the submitting user may read each
// one; at dispatch each reference becomes a signed download URL, so the
// worker reads the file without holding any Supabase key.
import { InputError } from "./errors.ts";
import type { StorageWriter } from "./storage.ts";

export const inputFileKey = "$storage";

export interface InputFileRef {
  bucket: string;
  path: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asRef(value: Record<string, unknown>): InputFileRef | null {
  const ref = value[inputFileKey];
  if (!isRecord(ref) || typeof ref.bucket !== "string" || typeof ref.path !== "string") return null;
  return { bucket: ref.bucket, path: ref.path };
}

/** Every reference in the input, in document order. */
export function inputFileRefs(input: unknown): InputFileRef[] {
  const found: InputFileRef[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!isRecord(value)) return;
    const ref = inputFileKey in value ? asRef(value) : null;
    if (ref) found.push(ref);
    else Object.values(value).forEach(visit);
  };
  visit(input);
  return found;
}

function replaceRefs(value: unknown, urlOf: (ref: InputFileRef) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => replaceRefs(item, urlOf));
  if (!isRecord(value)) return value;
  const ref = inputFileKey in value ? asRef(value) : null;
  if (ref) return urlOf(ref);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaceRefs(item, urlOf)]));
}

/**
 * The input with each reference replaced by a signed URL valid for
 * `expiresInS` (one Storage request per bucket). An object deleted since the
 * insert throws InputError; Storage trouble throws as it is.
 */
export async function withSignedInputs(storage: StorageWriter, input: unknown, expiresInS: number): Promise<unknown> {
  const refs = inputFileRefs(input);
  if (refs.length === 0) return input;
  const urls = new Map<string, string>();
  const id = (ref: InputFileRef) => `${ref.bucket}/${ref.path}`;
  const pathsByBucket = new Map<string, Set<string>>();
  for (const ref of refs) pathsByBucket.set(ref.bucket, (pathsByBucket.get(ref.bucket) ?? new Set()).add(ref.path));
  for (const [bucket, unique] of pathsByBucket) {
    const paths = [...unique];
    const signed = await storage.signedUrls(bucket, paths, expiresInS);
    paths.forEach((path, i) => {
      const url = signed[i];
      if (url === null) throw new InputError(`input file ${bucket}/${path} no longer exists`);
      urls.set(id({ bucket, path }), url);
    });
  }
  return replaceRefs(input, (ref) => urls.get(id(ref))!);
}
