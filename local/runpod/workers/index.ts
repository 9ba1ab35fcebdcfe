import type { Handler } from "../handlers.ts";
import { flakyWorker } from "./flaky.ts";
import { imageWorker } from "./image.ts";
import { noopWorker } from "./noop.ts";
import { sleepWorker } from "./sleep.ts";
import { transcribeWorker } from "./transcribe.ts";
import { uploadWorker } from "./upload.ts";

/** The demo workers, by the name an endpoint's `handler` uses. */
export const demoWorkers: Record<string, Handler> = {
  image: imageWorker,
  transcribe: transcribeWorker,
  upload: uploadWorker,
  flaky: flakyWorker,
  sleep: sleepWorker,
  noop: noopWorker,
};
