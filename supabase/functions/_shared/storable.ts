// What Postgres can store of a worker's output. A value it refuses (JSON
// nested past its stack depth, \u0000 or a lone surrogate in a string, a
// number past its range) would make complete_runs raise on every delivery and
// leave the job in flight, so these are checked before the call, and a
// refusal the checks missed is told apart from infrastructure trouble.
import { Buffer } from "node:buffer";

export interface StorableLimits {
  /** Nesting of arrays and objects. */
  maxDepth: number;
  /** Size of the JSON kept in pgpod.jobs.output, file bytes taken out. */
  maxBytes: number;
}

export const storableLimits: StorableLimits = { maxDepth: 100, maxBytes: 10 * 1024 * 1024 };

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function stringProblem(text: string): string | null {
  if (text.includes("\u0000")) return "a string holds \\u0000, which Postgres cannot store";
  if (loneSurrogate.test(text)) return "a string holds a lone UTF-16 surrogate, which Postgres cannot store";
  return null;
}

/** Why Postgres would refuse this JSON value (depth, strings), or null. Iterative: depth cannot overflow it. */
export function unstorableShape(value: unknown, limits: StorableLimits = storableLimits): string | null {
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length > 0) {
    const [item, depth] = pending.pop()!;
    if (typeof item === "string") {
      const problem = stringProblem(item);
      if (problem) return problem;
    } else if (typeof item === "number") {
      if (!Number.isFinite(item)) return "a number is not finite";
    } else if (typeof item === "object" && item !== null) {
      if (depth >= limits.maxDepth) return `nested deeper than ${limits.maxDepth} levels`;
      if (Array.isArray(item)) {
        for (const child of item) pending.push([child, depth + 1]);
      } else {
        for (const [key, child] of Object.entries(item)) {
          const problem = stringProblem(key);
          if (problem) return problem.replace("a string", "a key");
          pending.push([child, depth + 1]);
        }
      }
    }
  }
  return null;
}

/** Why this value cannot be stored as a job's output, or null: its shape, then its size. */
export function unstorableReason(value: unknown, limits: StorableLimits = storableLimits): string | null {
  const shape = unstorableShape(value, limits);
  if (shape) return shape;
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? "", "utf8");
  return bytes > limits.maxBytes ? `${bytes} bytes of JSON, over the ${limits.maxBytes}-byte limit` : null;
}

/**
 * A Postgres error about the data itself (SQLSTATE class 22, data exception,
 * or 54, program limit exceeded, such as the stack depth): sending the same
 * value again fails the same way, unlike a lost connection.
 */
export function isDataRefusal(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^(22|54)[0-9A-Z]{3}$/.test(code);
}
