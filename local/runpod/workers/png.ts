import { createHash } from "node:crypto";
import { PNG } from "pngjs";

/**
 * A small picture that depends only on the prompt: a diagonal gradient
 * between two colours and a disc, all derived from the prompt's hash.
 */
export function renderPromptPng(prompt: string, width = 64, height = 64): Buffer {
  const hash = createHash("sha256").update(prompt).digest();
  const from = [hash[0], hash[1], hash[2]];
  const to = [hash[3], hash[4], hash[5]];
  const disc = [hash[6], hash[7], hash[8]];
  const cx = (hash[9] / 255) * width;
  const cy = (hash[10] / 255) * height;
  const radius = ((hash[11] / 255) * 0.3 + 0.1) * Math.min(width, height);

  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = (x + y) / (width + height - 2 || 1);
      const inDisc = (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2;
      const offset = (y * width + x) * 4;
      for (let c = 0; c < 3; c++) png.data[offset + c] = inDisc ? disc[c] : Math.round(from[c] + (to[c] - from[c]) * t);
      png.data[offset + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

export function promptHash(prompt: string): string {
  return createHash("sha256").update(prompt).digest("hex").slice(0, 16);
}
