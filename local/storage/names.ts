// Which bucket names and object keys are accepted. Keys become paths under the
// data folder, so anything that could leave it or confuse it is refused.
import { errors } from "./errors.ts";

// The Storage API's bucket-name alphabet.
const bucketNamePattern = /^[\w!.*'() &$@=;:+,?-]+$/;
const controlCharacters = /[\u0000-\u001f\u007f]/;
const maxKeyLength = 1024;
const maxSegmentBytes = 255;

export function checkBucketName(name: unknown): string {
  const valid =
    typeof name === "string" &&
    name.length >= 1 &&
    name.length <= 100 &&
    name.trim() === name &&
    bucketNamePattern.test(name) &&
    name !== "." &&
    name !== "..";
  if (!valid) throw errors.invalidBucketName(String(name));
  return name;
}

export function checkKey(key: unknown): string {
  if (typeof key !== "string" || key.length === 0 || key.length > maxKeyLength) throw errors.invalidKey(String(key));
  if (controlCharacters.test(key) || key.includes("\\")) throw errors.invalidKey(key);
  for (const segment of key.split("/")) {
    const unsafe = segment === "" || segment === "." || segment === ".." || Buffer.byteLength(segment) > maxSegmentBytes;
    if (unsafe) throw errors.invalidKey(key);
  }
  return key;
}

/** Splits a decoded `bucket/key/with/slashes` route remainder. */
export function bucketAndKey(rest: string): { bucket: string; key: string } {
  const slash = rest.indexOf("/");
  if (slash < 0) throw errors.invalidKey("");
  return { bucket: checkBucketName(rest.slice(0, slash)), key: checkKey(rest.slice(slash + 1)) };
}
