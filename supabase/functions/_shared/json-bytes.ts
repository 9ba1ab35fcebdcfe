// JSON.parse for a request body held as UTF-8 bytes, without a string of the
// whole body. A webhook body is mostly one or two base64 strings of tens of
// MB: decoding the body to text and parsing it would hold the bytes, the text
// and the parsed strings at once. Here each long string value is cut out of
// the bytes and decoded on its own, the rest is parsed as usual, and the
// result is exactly what JSON.parse of the decoded body gives.

/** String values at least this long (in bytes) are decoded apart from the rest. */
export const longStringBytes = 64 * 1024;

const quote = 0x22;
const backslash = 0x5c;
const colon = 0x3a;
// JSON forbids raw control characters inside strings; finding them is this regex's purpose.
// deno-lint-ignore no-control-regex
const controlCharacter = /[\u0000-\u001f]/;

function isEscaped(bytes: Uint8Array, at: number): boolean {
  let n = 0;
  while (bytes[at - 1 - n] === backslash) n++;
  return n % 2 === 1;
}

/** Whether the string literal that ends before `at` is an object key (a colon follows). */
function isKey(bytes: Uint8Array, at: number): boolean {
  while (bytes[at] === 0x20 || bytes[at] === 0x09 || bytes[at] === 0x0a || bytes[at] === 0x0d) at++;
  return bytes[at] === colon;
}

/** The long string values' contents, as [first byte, closing quote) ranges, in order. */
function longValues(bytes: Uint8Array, minBytes: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  // Outside string literals, JSON has no quotes: each quote found here opens one.
  for (let open = bytes.indexOf(quote); open >= 0;) {
    let close = bytes.indexOf(quote, open + 1);
    while (close >= 0 && isEscaped(bytes, close)) close = bytes.indexOf(quote, close + 1);
    // unterminated: JSON.parse reports it
    if (close < 0) break;
    if (close - open - 1 >= minBytes && !isKey(bytes, close + 1)) ranges.push([open + 1, close]);
    open = bytes.indexOf(quote, close + 1);
  }
  return ranges;
}

/** One string literal's contents as JSON.parse reads them: escapes resolved, raw control characters refused. */
function literal(decoder: TextDecoder, bytes: Uint8Array, [start, end]: [number, number]): string {
  const text = decoder.decode(bytes.subarray(start, end));
  if (controlCharacter.test(text)) throw new SyntaxError("Bad control character in string literal in JSON");
  return text.includes("\\") ? JSON.parse(`"${text}"`) as string : text;
}

/** JSON.parse(new TextDecoder().decode(bytes)), holding long string values only once. */
export function parseJsonBytes(bytes: Uint8Array, minBytes = longStringBytes): unknown {
  const ranges = longValues(bytes, minBytes);
  if (ranges.length === 0) return JSON.parse(new TextDecoder().decode(bytes));
  // The cuts fall on quotes, never inside a UTF-8 sequence; only the body's start may drop a byte order mark.
  const inner = new TextDecoder("utf-8", { ignoreBOM: true });
  const marker = `${crypto.randomUUID()}:`;
  let skeleton = new TextDecoder().decode(bytes.subarray(0, ranges[0][0]));
  ranges.forEach(([, end], i) => {
    skeleton += `${marker}${i}${inner.decode(bytes.subarray(end, ranges[i + 1]?.[0] ?? bytes.length))}`;
  });
  return JSON.parse(
    skeleton,
    (_key, value) =>
      typeof value === "string" && value.startsWith(marker) ? literal(inner, bytes, ranges[Number(value.slice(marker.length))]) : value,
  );
}
