/** The values of iptables match options, as iptables-save prints them, read for the packet model. */
import { maskOf, parseIPv4 } from '../model/ipv4.js';

/** The route types addrtype knows (RTN_*), as iptables-save prints them. */
export const ADDRTYPES: ReadonlySet<string> = new Set([
  'UNSPEC',
  'UNICAST',
  'LOCAL',
  'BROADCAST',
  'ANYCAST',
  'MULTICAST',
  'BLACKHOLE',
  'UNREACHABLE',
  'PROHIBIT',
  'THROW',
  'NAT',
  'XRESOLVE',
]);

export function port(text: string | undefined): number | null {
  if (text === undefined || !/^[0-9]{1,5}$/.test(text)) return null;
  const value = Number(text);
  return value <= 65535 ? value : null;
}

/**
 * `-s`/`-d`: `a.b.c.d`, `a.b.c.d/n` or `a.b.c.d/w.x.y.z`. iptables-save prints a contiguous mask as
 * a prefix and any other as a dotted mask; the kernel compares the masked address either way.
 */
export function addressMask(text: string): { readonly network: number; readonly mask: number } | null {
  const slash = text.indexOf('/');
  const address = parseIPv4(slash < 0 ? text : text.slice(0, slash));
  if (address === null) return null;
  const maskText = slash < 0 ? '32' : text.slice(slash + 1);
  let mask: number | null = null;
  if (/^(0|[1-9][0-9]?)$/.test(maskText) && Number(maskText) <= 32) mask = maskOf(Number(maskText));
  else if (maskText.includes('.')) mask = parseIPv4(maskText);
  if (mask === null) return null;
  return { network: (address & mask) >>> 0, mask };
}

/** iprange's `a.b.c.d-e.f.g.h` (a single address is a range of one). */
export function addressRange(text: string): { readonly from: number; readonly to: number } | null {
  const [a = '', b = a, ...rest] = text.split('-');
  const from = parseIPv4(a);
  const to = parseIPv4(b);
  return from === null || to === null || rest.length > 0 ? null : { from, to };
}

/** conntrack's `--ctproto`: a name or a number; the model's packets are tcp or udp. */
export function ctProto(text: string): string | null {
  const names: Readonly<Record<string, string>> = { tcp: 'tcp', '6': 'tcp', udp: 'udp', '17': 'udp', all: 'all' };
  return names[text.toLowerCase()] ?? (/^[0-9]{1,3}$/.test(text) ? text : null);
}
