/** Reading worker inputs: a worker throws on bad input, and the throw becomes FAILED. */

export function inputRecord(input: unknown): Record<string, unknown> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) throw new TypeError("input must be an object");
  return input as Record<string, unknown>;
}

export function optionalNumber(record: Record<string, unknown>, key: string, fallback: number): number {
  const value = record[key] ?? fallback;
  if (typeof value !== "number" || !Number.isFinite(value)) throw new TypeError(`input.${key} must be a number`);
  return value;
}

export function requiredString(record: Record<string, unknown>, key: string, where = "input"): string {
  const value = record[key];
  if (typeof value !== "string" || value === "") throw new TypeError(`${where}.${key} must be a non-empty string`);
  return value;
}
