/**
 * Does a compiled rule match a packet? Matches are ANDed: one that is false decides
 * no-match even next to a match the model does not know; otherwise an unknown match
 * makes the answer unknown.
 */
import type { Match, PortRange } from './compile-rule.js';

/** What a rule sees of a packet at one hook. */
export interface MatchContext {
  readonly src: number;
  readonly dst: number;
  readonly proto: string;
  /** null: the client's ephemeral port, unknown within EPHEMERAL. */
  readonly sport: number | null;
  readonly dport: number | null;
  readonly inIface: string | null;
  readonly outIface: string | null;
  readonly state: 'NEW' | 'ESTABLISHED';
  readonly dnat: boolean;
  readonly snat: boolean;
  /** Which way the packet goes on its connection: the client's packets are ORIGINAL, the answers REPLY. */
  readonly direction: 'ORIGINAL' | 'REPLY';
  /** The address's type as addrtype sees it (LOCAL, UNICAST, BROADCAST, …); null when the model cannot tell. */
  readonly addressType: (address: number) => string | null;
}

export type MatchResult = true | false | { readonly unknown: string };

/** Linux's default net.ipv4.ip_local_port_range. */
export const EPHEMERAL: PortRange = [32768, 60999];

export function matchRule(matches: readonly Match[], ctx: MatchContext): MatchResult {
  let unknown: { unknown: string } | null = null;
  for (const match of matches) {
    const result = matchOne(match, ctx);
    if (result === false) return false;
    if (result !== true && unknown === null) unknown = result;
  }
  return unknown ?? true;
}

function matchOne(match: Match, ctx: MatchContext): MatchResult {
  if (match.kind === 'unknown') return { unknown: match.what };
  const result = positive(match, ctx);
  if (typeof result !== 'boolean') return result;
  return match.negate ? !result : result;
}

function positive(match: Exclude<Match, { kind: 'unknown' }>, ctx: MatchContext): MatchResult {
  switch (match.kind) {
    case 'src':
    case 'dst':
      return ((match.kind === 'src' ? ctx.src : ctx.dst) & match.mask) >>> 0 === match.network;
    case 'range': {
      const address = match.which === 'src' ? ctx.src : ctx.dst;
      return address >= match.from && address <= match.to;
    }
    case 'in':
    case 'out': {
      const iface = match.kind === 'in' ? ctx.inIface : ctx.outIface;
      if (iface === null) return false;
      return match.prefix ? iface.startsWith(match.name) : iface === match.name;
    }
    case 'proto':
      return match.proto === 'all' || match.proto === ctx.proto;
    case 'port':
      return matchPorts(match.which, match.ranges, ctx);
    case 'addrtype': {
      const type = ctx.addressType(match.which === 'src' ? ctx.src : ctx.dst);
      if (type === null)
        return { unknown: `the address type of ${match.which} (a route in table main that is not unicast)` };
      return match.types.includes(type);
    }
    case 'ctproto':
      return match.proto === ctx.proto;
    case 'ctdir':
      return match.dir === ctx.direction;
    case 'ctstate':
      return match.states.some(
        (state) => state === ctx.state || (state === 'DNAT' && ctx.dnat) || (state === 'SNAT' && ctx.snat),
      );
  }
}

function matchPorts(which: 'dport' | 'sport' | 'any', ranges: readonly PortRange[], ctx: MatchContext): MatchResult {
  const test = (port: number | null): MatchResult => {
    if (port !== null) return ranges.some(([lo, hi]) => port >= lo && port <= hi);
    const [lo, hi] = EPHEMERAL;
    if (ranges.some(([a, b]) => a <= lo && b >= hi)) return true;
    if (ranges.every(([a, b]) => b < lo || a > hi)) return false;
    return { unknown: `a port range that holds some ephemeral ports (${lo}-${hi}) but not all` };
  };
  if (which === 'dport') return test(ctx.dport);
  if (which === 'sport') return test(ctx.sport);
  const d = test(ctx.dport);
  if (d === true) return true;
  const s = test(ctx.sport);
  if (s === true) return true;
  return d === false && s === false ? false : typeof d === 'object' ? d : s;
}
