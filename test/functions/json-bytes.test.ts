import { describe, expect, it } from "vitest";
import { parseJsonBytes } from "../../supabase/functions/_shared/json-bytes.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);
/** What the webhook did before: decode the whole body, then parse it. */
const reference = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes));
const outcome = (parse: () => unknown) => {
  try {
    return { value: parse() };
  } catch (error) {
    return { error: (error as Error).name };
  }
};

// Bodies where strings of 8 bytes or more are cut out (the threshold is lowered so small bodies exercise it).
const bodies = [
  `{"id":"job-1","status":"COMPLETED","output":{"files":[{"filename":"a.png","data":"iVBORw0KGgoAAAANSUhEUg=="}]}}`,
  `{"escaped":"line\\nbreak \\"quoted\\" back\\\\slash \\/ \\u00e9\\u20ac tab\\t","trailing backslash":"abcdefgh\\\\"}`,
  `{"even backslashes":"abcdefgh\\\\","next":"ijklmnopqrst"}`,
  `{"unicode":"grüße, 日本語, emoji 😀 all here","empty":"","short":"abc"}`,
  `{"a long key that is not a value" : "and a long value after it", "k2":["array item one","array item two",42,null,true]}`,
  `"a top-level string that is long"`,
  `[ "spaced" , "long string in an array" , {"nested":{"deeper":"a long string deep down"}} ]`,
  `{"__proto__":"a long string under __proto__","constructor":{"prototype":"long enough too"}}`,
  `\ufeff{"bom at the start":"then a long string value"}`,
  `{"bom inside":"\ufeffa long string that starts with a byte order mark"}`,
  `{"dup":"first long string value","dup":"second long string value"}`,
  // invalid JSON of several kinds: the same refusal as JSON.parse
  `{"raw control":"a long string with a \u0001 control character"}`,
  `{"raw newline":"a long string with a \n newline"}`,
  `{"bad escape":"a long string with \\x escape"}`,
  `{"unterminated":"a long string that never ends`,
  `{"missing comma":"a long string value" "b":1}`,
  `{"trailing":"a long string value",}`,
];

describe("parseJsonBytes", () => {
  it("gives what JSON.parse of the decoded body gives, refusals included", () => {
    for (const body of bodies) {
      const bytes = utf8(body);
      expect(outcome(() => parseJsonBytes(bytes, 8)), body).toEqual(outcome(() => reference(bytes)));
    }
  });

  it("keeps an own __proto__ property as JSON.parse does, without touching the prototype", () => {
    const parsed = parseJsonBytes(utf8(`{"__proto__":{"polluted":"a long string value"}}`), 8) as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.hasOwn(parsed, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("decodes invalid UTF-8 inside and around long strings as the whole-body decode does", () => {
    const bytes = new Uint8Array([...utf8(`{"x":"ab`), 0xff, 0xc3, ...utf8(`cdefghij","y":"`), 0xe2, 0x82, ...utf8(`"}`)]);
    expect(parseJsonBytes(bytes, 4)).toEqual(reference(bytes));
  });

  it("cuts out a base64 file of several MB and parses the rest as usual", () => {
    const data = Buffer.alloc(3 * 1024 * 1024, 7).toString("base64");
    const bytes = utf8(JSON.stringify({ id: "r", status: "COMPLETED", output: { files: [{ filename: "big.bin", data }], note: "x" } }));
    expect(parseJsonBytes(bytes)).toEqual(reference(bytes));
  });
});
