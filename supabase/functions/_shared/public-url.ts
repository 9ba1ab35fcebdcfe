// Which URLs a worker's output may make pgpod fetch. A worker (or anyone
// holding a run's webhook URL) chooses the URL, so without this check the
// webhook would fetch the project's own internals (loopback, the private
// network, the cloud metadata address) and store the answer as a job's file.
// Only https URLs on public addresses are fetched: TLS binds the answer to the
// name, so a name that resolves to a public address for the check and to an
// internal one for the connection (DNS rebinding) fails the handshake. Origins
// an operator lists explicitly (the local stack's own services) skip the check.
import { lookup } from "node:dns/promises";
import { OutputError, TransientError } from "./errors.ts";

/** The addresses a host name resolves to. */
export type Resolve = (hostname: string) => Promise<string[]>;

export const systemResolve: Resolve = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

type Range = { first: number[]; bits: number; label: string };

function parseIpv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^[0-9]{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.map(Number);
}

/** An IPv6 address as 16 bytes, or null; accepts "::" and a dotted IPv4 tail. */
function parseIpv6(text: string): number[] | null {
  const bare = text.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  if (!bare.includes(":")) return null;
  let head = bare;
  let tail: number[] = [];
  const v4 = /^(.*:)([0-9.]+)$/.exec(bare);
  if (v4 && v4[2].includes(".")) {
    const four = parseIpv4(v4[2]);
    if (!four) return null;
    head = `${v4[1]}0:0`;
    tail = four;
  }
  const halves = head.split("::");
  if (halves.length > 2) return null;
  const group = (s: string) => (s === "" ? [] : s.split(":"));
  const left = group(halves[0]);
  const right = halves.length === 2 ? group(halves[1]) : [];
  const missing = 8 - left.length - right.length;
  if ((halves.length === 2 ? missing < 1 : missing !== 0) || [...left, ...right].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) {
    return null;
  }
  const words = [...left, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...right].map((g) => parseInt(g, 16));
  const bytes = words.flatMap((w) => [w >> 8, w & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

const range = (address: string, bits: number, label: string): Range => ({
  first: parseIpv4(address) ?? parseIpv6(address)!,
  bits,
  label,
});

const ipv4Ranges: Range[] = [
  range("0.0.0.0", 8, "an unspecified (this-network) address"),
  range("10.0.0.0", 8, "a private address"),
  range("100.64.0.0", 10, "a shared (carrier-grade NAT) address"),
  range("127.0.0.0", 8, "a loopback address"),
  range("169.254.0.0", 16, "a link-local address"),
  range("172.16.0.0", 12, "a private address"),
  range("192.0.0.0", 24, "a reserved address"),
  range("192.0.2.0", 24, "a documentation address"),
  range("192.168.0.0", 16, "a private address"),
  range("198.18.0.0", 15, "a benchmarking address"),
  range("198.51.100.0", 24, "a documentation address"),
  range("203.0.113.0", 24, "a documentation address"),
  range("224.0.0.0", 4, "a multicast address"),
  range("240.0.0.0", 4, "a reserved address"),
];

const ipv6Ranges: Range[] = [
  range("::", 128, "an unspecified address"),
  range("::1", 128, "a loopback address"),
  range("::ffff:0:0", 96, "an IPv4-mapped address"),
  range("::", 96, "an IPv4-compatible address"),
  range("64:ff9b::", 96, "a NAT64 address"),
  range("100::", 64, "a discard address"),
  range("2001:db8::", 32, "a documentation address"),
  range("2002::", 16, "a 6to4 address"),
  range("fc00::", 7, "a unique-local address"),
  range("fe80::", 10, "a link-local address"),
  range("fec0::", 10, "a site-local address"),
  range("ff00::", 8, "a multicast address"),
];

function inRange(bytes: number[], r: Range): boolean {
  if (bytes.length !== r.first.length) return false;
  for (let bit = 0; bit < r.bits; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((bytes[bit >> 3] & mask) !== (r.first[bit >> 3] & mask)) return false;
  }
  return true;
}

/** Why an IP address is not a public one, or null when it is. */
export function nonPublicReason(address: string): string | null {
  const v4 = parseIpv4(address);
  const bytes = v4 ?? parseIpv6(address);
  if (!bytes) return "not an IP address";
  // The most specific range names the address: ::1 is loopback, not IPv4-compatible.
  const matches = (v4 ? ipv4Ranges : ipv6Ranges).filter((r) => inRange(bytes, r)).sort((a, b) => b.bits - a.bits);
  return matches[0]?.label ?? null;
}

export interface UrlGuardOptions {
  /** Origins fetched without the checks, e.g. "http://127.0.0.1:54331" for the local stack's own services. */
  allowedOrigins: readonly string[];
  resolve?: Resolve;
}

export type UrlGuard = (url: URL) => Promise<void>;

/** Throws OutputError (the attempt fails) for a URL pgpod must not fetch. */
export function urlGuard(options: UrlGuardOptions): UrlGuard {
  const allowed = new Set(options.allowedOrigins.map((origin) => new URL(origin).origin));
  const resolve = options.resolve ?? systemResolve;
  return async (url) => {
    if (allowed.has(url.origin)) return;
    const refuse = (why: string) => new OutputError(`refused to fetch ${url.origin}: ${why}`);
    if (url.protocol !== "https:") throw refuse("only https URLs are fetched");
    if (url.username || url.password) throw refuse("URLs with credentials are not fetched");
    const host = url.hostname;
    const literal = parseIpv4(host) ?? parseIpv6(host);
    let addresses: string[];
    if (literal) {
      addresses = [host];
    } else {
      try {
        addresses = await resolve(host);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === "ENOTFOUND" || code === "ENODATA") throw refuse(`${host} does not resolve`);
        throw new TransientError(`resolving ${host} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (addresses.length === 0) throw refuse(`${host} does not resolve`);
    }
    for (const address of addresses) {
      const reason = nonPublicReason(address);
      if (reason) throw refuse(literal ? `${host} is ${reason}` : `${host} resolves to ${address}, ${reason}`);
    }
  };
}
