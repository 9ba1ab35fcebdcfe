// Reads back the small tar archives pgpod-archive writes, for tests.

/** The entries of a tar: name and bytes (as text). */
export function untar(tar: Buffer): Array<{ name: string; bytes: string }> {
  const entries: Array<{ name: string; bytes: string }> = [];
  for (let at = 0; at + 512 <= tar.length;) {
    const header = tar.subarray(at, at + 512);
    if (header.every((byte) => byte === 0)) break;
    const name = header.subarray(0, 100).toString().replace(/\0.*$/s, "");
    const size = parseInt(header.subarray(124, 136).toString(), 8);
    entries.push({ name, bytes: tar.subarray(at + 512, at + 512 + size).toString() });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}
