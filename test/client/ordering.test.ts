// A watch's order and de-duplication: states of a job arrive from reads and
// broadcasts, repeated and out of order, and each is reported once, oldest
// first, never an older after a newer.
import { describe, expect, it } from "vitest";
import { microseconds } from "../../client/src/order.ts";
import { StateTracker } from "../../client/src/tracker.ts";

interface State {
  id: string;
  updated_at: string;
  status: string;
}

function tracker(matches: (job: State) => boolean = () => true) {
  const reported: string[] = [];
  const t = new StateTracker<State>(matches, (job) => reported.push(`${job.id}:${job.status}`));
  return { t, reported };
}

const at = (micros: number) => `2026-12-01T20:00:00.${String(micros).padStart(6, "0")}+00:00`;

describe("timestamps", () => {
  it("compare to the microsecond, whatever offset prints them", () => {
    expect(microseconds("2026-12-01T20:00:00.000001+00:00") - microseconds("2026-12-01T20:00:00+00:00")).toBe(1);
    expect(microseconds("2026-12-01T21:30:00.5+01:30")).toBe(microseconds("2026-12-01T20:00:00.500000Z"));
    expect(microseconds("2026-12-01 20:00:00.25+00")).toBe(microseconds("2026-12-01T20:00:00.250000+00:00"));
    expect(microseconds("2026-12-01T20:00:00.123456-05:00")).toBe(Date.parse("2026-12-02T01:00:00.123Z") * 1000 + 456);
  });

  it("refuse what is not a timestamp", () => {
    expect(() => microseconds("yesterday")).toThrow('pgpod: not a timestamp: "yesterday"');
    expect(() => microseconds("2026-13-45T99:00:00Z")).toThrow("not a timestamp");
  });
});

describe("a job's states", () => {
  it("are reported once each, however often they arrive", () => {
    const { t, reported } = tracker();
    const queued = { id: "a", updated_at: at(1), status: "queued" };
    const running = { id: "a", updated_at: at(2), status: "running" };
    for (const state of [queued, queued, running, running, queued, running]) t.offer(state);
    expect(reported).toEqual(["a:queued", "a:running"]);
  });

  it("never go back when an older one arrives after a newer", () => {
    const { t, reported } = tracker();
    const states = ["queued", "submitting", "submitted", "running", "succeeded"].map((status, i) => ({ id: "a", updated_at: at(i + 1), status }));
    for (const i of [0, 2, 1, 4, 3, 0, 4]) t.offer(states[i]);
    expect(reported).toEqual(["a:queued", "a:submitted", "a:succeeded"]);
  });

  it("are every state in order when none is late, in any interleaving of jobs", () => {
    const { t, reported } = tracker();
    t.offer({ id: "a", updated_at: at(1), status: "queued" });
    t.offer({ id: "b", updated_at: at(1), status: "queued" });
    t.offer({ id: "b", updated_at: at(5), status: "running" });
    t.offer({ id: "a", updated_at: at(3), status: "running" });
    t.offer({ id: "b", updated_at: at(2), status: "submitted" });
    expect(reported).toEqual(["a:queued", "b:queued", "b:running", "a:running"]);
  });

  it("a state with the same time as the one held is the same state and is dropped", () => {
    const { t, reported } = tracker();
    t.offer({ id: "a", updated_at: at(1), status: "running" });
    t.offer({ id: "a", updated_at: "2026-12-01T21:00:00.000001+01:00", status: "running" });
    expect(reported).toEqual(["a:running"]);
  });
});

describe("a filtered watch", () => {
  it("reports a job while it matches and once when it stops matching, and not a late match after that", () => {
    const { t, reported } = tracker((job) => job.status === "running");
    t.offer({ id: "a", updated_at: at(1), status: "queued" });
    t.offer({ id: "a", updated_at: at(2), status: "running" });
    t.offer({ id: "a", updated_at: at(4), status: "succeeded" });
    t.offer({ id: "a", updated_at: at(3), status: "running" });
    t.offer({ id: "a", updated_at: at(5), status: "queued" });
    expect(reported).toEqual(["a:running", "a:succeeded"]);
    expect(t.matchedIds()).toEqual([]);
  });

  it("knows which jobs matched last, for the re-read after a reconnect", () => {
    const { t } = tracker((job) => job.status === "running");
    t.offer({ id: "a", updated_at: at(1), status: "running" });
    t.offer({ id: "b", updated_at: at(1), status: "queued" });
    t.offer({ id: "c", updated_at: at(1), status: "running" });
    t.offer({ id: "c", updated_at: at(2), status: "failed" });
    expect(t.matchedIds()).toEqual(["a"]);
  });
});
