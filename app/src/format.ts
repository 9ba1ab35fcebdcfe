// How times and errors read on both pages.

/** Seconds between two ISO times (the second defaults to now), as "1.2 s"; "" when the first is missing. */
export function duration(from: string | null, to: string | null = null): string {
  if (!from) return "";
  const ms = (to ? Date.parse(to) : Date.now()) - Date.parse(from);
  return ms < 0 ? "" : `${(ms / 1000).toFixed(1)} s`;
}

/** A byte count as "812 B", "21.5 kB" or "3.2 MB" (powers of 1000, as Storage's limits are written). */
export function byteSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const [unit, scale] = bytes < 1e6 ? ["kB", 1e3] : bytes < 1e9 ? ["MB", 1e6] : ["GB", 1e9];
  return `${(bytes / scale).toFixed(1)} ${unit}`;
}

const errorLength = 160;

/** A worker's error as RunPod reports it is often JSON with a traceback: its message, shortened. */
export function errorSummary(error: string | null): string {
  if (!error) return "";
  let text = error;
  try {
    const parsed: unknown = JSON.parse(error);
    if (parsed && typeof parsed === "object" && "error_message" in parsed) text = String(parsed.error_message);
  } catch {
    // not JSON: the text itself
  }
  return text.length > errorLength ? `${text.slice(0, errorLength - 1)}…` : text;
}
