/**
 * The worker's output cannot be turned into stored files (bad base64, a URL
 * answering 404, a storage_path outside the job's folder...). Trying again
 * gives the same answer, so the job's attempt fails with this message.
 */
export class OutputError extends Error {
  override name = "OutputError";
}

/**
 * Storage or a file host did not answer properly. Nothing was recorded, so the
 * webhook answers 5xx (RunPod retries) and the reconciler gets another chance.
 */
export class TransientError extends Error {
  override name = "TransientError";
}

/**
 * A job's input cannot be sent as it is (an input file it references was
 * deleted after the insert): sending it again gives the same answer, so the
 * job fails instead of being retried.
 */
export class InputError extends Error {
  override name = "InputError";
}
