// Which of two states of a job is newer. pgpod keeps each job's updated_at
// strictly increasing (a trigger), to the microsecond, so it orders every
// change of a row. JavaScript dates stop at milliseconds, and the Data API and
// the database broadcast may print the same instant with different offsets,
// so timestamps are compared as microseconds since the epoch.

const timestamp = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

export const isTimestamp = (value: string) => timestamp.test(value);

/** Microseconds since 1970 of a Postgres timestamptz as JSON prints it. */
export function microseconds(value: string): number {
  const parts = timestamp.exec(value);
  if (!parts) throw new Error(`pgpod: not a timestamp: ${JSON.stringify(value)}`);
  const [, date, time, fraction = "", zone = "Z"] = parts;
  const offset = zone === "Z" ? "Z" : zone.length === 3 ? `${zone}:00` : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const ms = Date.parse(`${date}T${time}${offset}`);
  if (Number.isNaN(ms)) throw new Error(`pgpod: not a timestamp: ${JSON.stringify(value)}`);
  return ms * 1000 + Number(fraction.padEnd(6, "0"));
}
