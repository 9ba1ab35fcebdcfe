import { describe, expect, it } from "vitest";
import { byteSize, duration, errorSummary } from "../../app/src/format.ts";

describe("how the pages show errors and times", () => {
  it("shows a RunPod error's message instead of its JSON and traceback", () => {
    const error = JSON.stringify({ error_type: "<class 'RangeError'>", error_message: "width must be positive", error_traceback: "at x\nat y" });
    expect(errorSummary(error)).toBe("width must be positive");
  });

  it("keeps a plain error, shortens a long one, and shows nothing for none", () => {
    expect(errorSummary("cancelled on RunPod")).toBe("cancelled on RunPod");
    expect(errorSummary("{not json")).toBe("{not json");
    const long = errorSummary("x".repeat(500));
    expect(long).toHaveLength(160);
    expect(long.endsWith("…")).toBe(true);
    expect(errorSummary(null)).toBe("");
  });

  it("gives sizes in bytes, kB, MB and GB", () => {
    expect(byteSize(812)).toBe("812 B");
    expect(byteSize(21_532)).toBe("21.5 kB");
    expect(byteSize(3_200_000)).toBe("3.2 MB");
    expect(byteSize(4_500_000_000)).toBe("4.5 GB");
  });

  it("gives seconds between two times, and nothing before the first is known", () => {
    expect(duration("2026-01-01T00:00:00Z", "2026-01-01T00:00:01.25Z")).toBe("1.3 s");
    expect(duration(null, "2026-01-01T00:00:00Z")).toBe("");
    expect(duration("2026-01-01T00:00:02Z", "2026-01-01T00:00:01Z")).toBe("");
  });
});
