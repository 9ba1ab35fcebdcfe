import type { HandlerJob } from "../handlers.ts";
import { inputRecord, optionalNumber, requiredString } from "./input.ts";
import { promptHash, renderPromptPng } from "./png.ts";

/** A ComfyUI-style image worker: input { prompt, width?, height? } -> one base64 PNG in output.files. */
export function imageWorker(job: HandlerJob) {
  const input = inputRecord(job.input);
  const prompt = requiredString(input, "prompt");
  const width = Math.trunc(optionalNumber(input, "width", 64));
  const height = Math.trunc(optionalNumber(input, "height", 64));
  if (width < 1 || height < 1 || width * height > 1024 * 1024) throw new RangeError("input.width x input.height must be between 1 and 1048576 pixels");
  const promptId = promptHash(prompt);
  return {
    status: "success",
    prompt_id: promptId,
    files: [
      {
        type: "image",
        filename: `image_${promptId}.png`,
        data: renderPromptPng(prompt, width, height).toString("base64"),
        encoding: "base64",
        content_type: "image/png",
      },
    ],
  };
}
