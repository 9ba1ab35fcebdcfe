// The group-commit batcher: what is flushed together, and whose outcome is whose.
import { describe, expect, it } from "vitest";
import { batcher, type Flush } from "../../supabase/functions/_shared/batcher.ts";

/** A flush that records each batch and answers every item with its double, or with an error for negative items. */
function doubling() {
  const batches: number[][] = [];
  const flush: Flush<number, number> = async (items) => {
    batches.push(items);
    return items.map((n) => n < 0 ? { status: "rejected", reason: new Error(`no ${n}`) } : { status: "fulfilled", value: n * 2 });
  };
  return { batches, flush };
}

describe("batcher", () => {
  it("hands items added together to one flush and gives each caller its own answer", async () => {
    const { batches, flush } = doubling();
    const add = batcher({ maxSize: 10, maxWaitMs: 10_000 }, flush);
    const answers = Promise.all([1, 2, 3].map(add));
    const full = Promise.all([4, 5, 6, 7, 8, 9, 10].map(add));
    expect(await answers).toEqual([2, 4, 6]);
    expect(await full).toEqual([8, 10, 12, 14, 16, 18, 20]);
    expect(batches).toEqual([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]);
  });

  it("sends a batch as soon as it is full and starts the next one", async () => {
    const { batches, flush } = doubling();
    const add = batcher({ maxSize: 2, maxWaitMs: 0 }, flush);
    expect(await Promise.all([1, 2, 3].map(add))).toEqual([2, 4, 6]);
    expect(batches).toEqual([[1, 2], [3]]);
  });

  it("sends every item alone with a batch size of 1", async () => {
    const { batches, flush } = doubling();
    const add = batcher({ maxSize: 1, maxWaitMs: 10_000 }, flush);
    expect(await Promise.all([1, 2].map(add))).toEqual([2, 4]);
    expect(batches).toEqual([[1], [2]]);
  });

  it("rejects only the item whose outcome failed", async () => {
    const { flush } = doubling();
    const add = batcher({ maxSize: 3, maxWaitMs: 10_000 }, flush);
    const outcomes = await Promise.allSettled([1, -1, 2].map(add));
    expect(outcomes).toEqual([
      { status: "fulfilled", value: 2 },
      { status: "rejected", reason: new Error("no -1") },
      { status: "fulfilled", value: 4 },
    ]);
  });

  it("rejects every item of a batch whose flush throws or miscounts, and goes on with the next batch", async () => {
    let calls = 0;
    const add = batcher<number, number>({ maxSize: 2, maxWaitMs: 0 }, async (items) => {
      calls++;
      if (calls === 1) throw new Error("down");
      if (calls === 2) return [{ status: "fulfilled", value: 0 }];
      return items.map((n) => ({ status: "fulfilled", value: n }));
    });
    expect(await Promise.allSettled([1, 2].map(add))).toEqual([
      { status: "rejected", reason: new Error("down") },
      { status: "rejected", reason: new Error("down") },
    ]);
    expect(await Promise.allSettled([3, 4].map(add))).toEqual([
      { status: "rejected", reason: new Error("a batch of 2 got 1 outcomes") },
      { status: "rejected", reason: new Error("a batch of 2 got 1 outcomes") },
    ]);
    expect(await Promise.all([5, 6].map(add))).toEqual([5, 6]);
  });

  it("refuses limits that cannot work", () => {
    const { flush } = doubling();
    expect(() => batcher({ maxSize: 0, maxWaitMs: 5 }, flush)).toThrow("batch maxSize must be a positive integer, not 0");
    expect(() => batcher({ maxSize: 2.5, maxWaitMs: 5 }, flush)).toThrow("batch maxSize must be a positive integer, not 2.5");
    expect(() => batcher({ maxSize: 5, maxWaitMs: -1 }, flush)).toThrow("batch maxWaitMs must be 0 or more, not -1");
    expect(() => batcher({ maxSize: 5, maxWaitMs: Number.NaN }, flush)).toThrow("batch maxWaitMs must be 0 or more, not NaN");
  });
});
