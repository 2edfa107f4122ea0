/** IPv4 arithmetic on plain numbers; strict dotted-quad parsing (no leading zeros, no shorthand). */

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

export interface Cidr {
  /** Network address as an unsigned 32-bit number (host bits cleared). */
  readonly network: number;
  readonly prefixlen: number;
}

export function parseIPv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export function maskOf(prefixlen: number): number {
  return prefixlen === 0 ? 0 : (0xffffffff << (32 - prefixlen)) >>> 0;
}

/** Parses `a.b.c.d/n`. With `strict`, host bits must be zero. */
export function parseCidr(text: string, strict = true): Cidr | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const address = parseIPv4(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (address === null || !/^(0|[1-9][0-9]?)$/.test(lenText)) return null;
  const prefixlen = Number(lenText);
  if (prefixlen > 32) return null;
  const network = (address & maskOf(prefixlen)) >>> 0;
  if (strict && network !== address) return null;
  return { network, prefixlen };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIPv4(cidr.network)}/${cidr.prefixlen}`;
}

export function cidrContains(cidr: Cidr, address: number): boolean {
  return (address & maskOf(cidr.prefixlen)) >>> 0 === cidr.network;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const shorter = a.prefixlen <= b.prefixlen ? a : b;
  const longer = shorter === a ? b : a;
  return cidrContains(shorter, longer.network);
}

export function compareIPv4Text(a: string, b: string): number {
  return (parseIPv4(a) ?? 0) - (parseIPv4(b) ?? 0);
}
