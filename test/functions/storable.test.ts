import { describe, expect, it } from "vitest";
import { isDataRefusal, storableLimits, unstorableReason, unstorableShape } from "../../supabase/functions/_shared/storable.ts";

function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

describe("what Postgres can store of an output", () => {
  it("takes ordinary JSON, surrogate pairs included", () => {
    expect(unstorableReason({ text: "héllo 😀", n: 1.5, list: [null, true, { k: "v" }] })).toBeNull();
  });

  it(`refuses nesting past ${storableLimits.maxDepth} levels, however deep, without overflowing itself`, () => {
    expect(unstorableShape(nested(storableLimits.maxDepth))).toBeNull();
    expect(unstorableShape(nested(storableLimits.maxDepth + 1))).toBe(`nested deeper than ${storableLimits.maxDepth} levels`);
    expect(unstorableShape(nested(200_000))).toBe(`nested deeper than ${storableLimits.maxDepth} levels`);
  });

  it("refuses \\u0000 and lone surrogates in strings and keys", () => {
    expect(unstorableShape({ a: ["x\u0000"] })).toBe("a string holds \\u0000, which Postgres cannot store");
    expect(unstorableShape({ "k\u0000": 1 })).toBe("a key holds \\u0000, which Postgres cannot store");
    expect(unstorableShape("\ud800")).toBe("a string holds a lone UTF-16 surrogate, which Postgres cannot store");
    expect(unstorableShape("x\udc00")).toBe("a string holds a lone UTF-16 surrogate, which Postgres cannot store");
  });

  it("refuses JSON over the size limit", () => {
    expect(unstorableReason({ text: "x".repeat(100) }, { maxDepth: 10, maxBytes: 50 })).toBe("111 bytes of JSON, over the 50-byte limit");
  });

  it("tells the database refusing the data from infrastructure trouble", () => {
    for (const code of ["22P05", "22003", "22021", "54001"]) expect(isDataRefusal(Object.assign(new Error("x"), { code }))).toBe(true);
    for (const code of ["08006", "57P01", "53300", "ECONNREFUSED", undefined]) expect(isDataRefusal(Object.assign(new Error("x"), { code }))).toBe(false);
    expect(isDataRefusal(null)).toBe(false);
  });
});
