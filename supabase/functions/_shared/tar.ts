// The POSIX ustar format (pax extended headers for long names), written entry
// by entry so an archive is streamed and never held whole: a 512-byte header,
// the file's bytes, zero padding to the next 512-byte block, and two zero
// blocks at the end.
const block = 512;
const encoder = new TextEncoder();
/** Largest size the header's 11 octal digits hold. */
export const maxTarEntryBytes = 8 ** 11 - 1;

function putString(header: Uint8Array, offset: number, length: number, value: string): void {
  header.set(encoder.encode(value).subarray(0, length), offset);
}

function putOctal(header: Uint8Array, offset: number, length: number, value: number): void {
  putString(header, offset, length, value.toString(8).padStart(length - 1, "0") + "\0");
}

function header(name: string, size: number, mtimeS: number, type: "0" | "x"): Uint8Array {
  const h = new Uint8Array(block);
  putString(h, 0, 100, name);
  putOctal(h, 100, 8, 0o644);
  putOctal(h, 108, 8, 0);
  putOctal(h, 116, 8, 0);
  putOctal(h, 124, 12, size);
  putOctal(h, 136, 12, mtimeS);
  h.fill(0x20, 148, 156); // the checksum counts its own field as spaces
  putString(h, 156, 1, type);
  putString(h, 257, 6, "ustar\0");
  putString(h, 263, 2, "00");
  const sum = h.reduce((total, byte) => total + byte, 0);
  putString(h, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return h;
}

/** A pax record "<length> path=<name>\n", whose length counts itself. */
function paxPathRecord(name: string): Uint8Array {
  const body = ` path=${name}\n`;
  const bodyBytes = encoder.encode(body).byteLength;
  let length = bodyBytes + 1;
  while (String(length).length + bodyBytes !== length) length = String(length).length + bodyBytes;
  return encoder.encode(`${length}${body}`);
}

export function padding(size: number): Uint8Array {
  return new Uint8Array((block - (size % block)) % block);
}

/** What precedes an entry's bytes: its header, after a pax header when the name is over 100 bytes. */
export function entryHeader(name: string, size: number, mtimeS: number): Uint8Array[] {
  if (size > maxTarEntryBytes) throw new Error(`${name} is ${size} bytes, over the ${maxTarEntryBytes} a tar entry holds`);
  if (encoder.encode(name).byteLength <= 100) return [header(name, size, mtimeS, "0")];
  const record = paxPathRecord(name);
  return [header("PaxHeader", record.byteLength, mtimeS, "x"), record, padding(record.byteLength), header(name, size, mtimeS, "0")];
}

export function endOfArchive(): Uint8Array {
  return new Uint8Array(2 * block);
}
