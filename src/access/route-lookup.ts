/**
 * The kernel's route lookup for one packet: policy rules in priority order (selectors,
 * `not`, goto, suppress_prefixlength), then the longest prefix match in the rule's table
 * (lowest metric on a tie), with route types local, throw, blackhole, unreachable, prohibit.
 */
import { cidrContains, parseCidr, parseIPv4, type Cidr } from '../model/ipv4.js';
import type { Egress, Routing, RoutingRoute, RoutingRule } from './access-types.js';

export interface RouteQuery {
  readonly src: number;
  readonly dst: number;
  /** 'lo' for a packet the target itself sends. */
  readonly iif: string;
  /** A MARK target was passed on the way: the mark is no longer known to be 0. */
  readonly marked?: boolean;
}

export type RouteResult =
  | { readonly kind: 'local'; readonly egress: Egress }
  | { readonly kind: 'forward'; readonly egress: Egress; readonly prefsrc: string | null }
  | { readonly kind: 'none'; readonly egress: Egress; readonly reason: string }
  | { readonly kind: 'unknown'; readonly egress: Egress; readonly reason: string };

interface IndexedRoute {
  readonly route: RoutingRoute;
  readonly net: Cidr;
}

interface IndexedRouting {
  readonly rules: readonly { readonly rule: RoutingRule; readonly from: Cidr; readonly to: Cidr }[];
  readonly tables: ReadonlyMap<string, readonly IndexedRoute[]>;
}

const indexes = new WeakMap<Routing, IndexedRouting>();
const ANY: Cidr = { network: 0, prefixlen: 0 };
const NO_EGRESS: Egress = { dev: '', via: null, table: null, rulePriority: null };

function indexOf(routing: Routing): IndexedRouting {
  const known = indexes.get(routing);
  if (known !== undefined) return known;
  const tables = new Map<string, IndexedRoute[]>();
  for (const route of routing.routes) {
    const net = parseCidr(route.dst, false);
    if (net === null) continue;
    const list = tables.get(route.table) ?? [];
    list.push({ route, net });
    tables.set(route.table, list);
  }
  // Longest prefix first, then lowest metric: the first containing route is the kernel's choice.
  for (const list of tables.values())
    list.sort((a, b) => b.net.prefixlen - a.net.prefixlen || a.route.metric - b.route.metric);
  const rules = routing.rules.map((rule) => ({
    rule,
    from: parseCidr(rule.from, false) ?? ANY,
    to: parseCidr(rule.to, false) ?? ANY,
  }));
  const index = { rules, tables };
  indexes.set(routing, index);
  return index;
}

/**
 * The address's type as xt_addrtype reads it without `--limit-iface-*` (inet_dev_addr_type): 0.0.0.0/8
 * and 255.255.255.255 are BROADCAST, 224.0.0.0/4 MULTICAST, else the type of its route in table
 * local, else UNICAST. With no policy rules of its own the kernel merges table main into that
 * lookup, so a non-unicast route there (blackhole, …) could answer instead: null, the model cannot tell.
 */
export function addressType(routing: Routing, address: number): string | null {
  if (address >>> 24 === 0 || address === 0xffffffff) return 'BROADCAST';
  if (address >>> 28 === 0xe) return 'MULTICAST';
  const local = tableMatch(routing, 'local', address);
  if (local !== undefined) return local.type.toUpperCase();
  const main = tableMatch(routing, 'main', address);
  return main === undefined || main.type === 'unicast' ? 'UNICAST' : null;
}

/** The first address the target has on `dev`, as MASQUERADE picks when the route names no source. */
export function addressOn(routing: Routing, dev: string): string | null {
  const local = (indexOf(routing).tables.get('local') ?? []).find(
    (r) => r.route.type === 'local' && r.route.dev === dev && r.net.prefixlen === 32,
  );
  return local === undefined ? null : (local.route.dst.split('/')[0] ?? null);
}

/** The most specific route of one table for dst, or undefined. */
export function tableMatch(routing: Routing, table: string, dst: number): RoutingRoute | undefined {
  return (indexOf(routing).tables.get(table) ?? []).find((r) => cidrContains(r.net, dst))?.route;
}

export function lookupRoute(routing: Routing, query: RouteQuery): RouteResult {
  const { rules } = indexOf(routing);
  for (let i = 0; i < rules.length; i++) {
    const entry = rules[i];
    if (entry === undefined) break;
    const { rule } = entry;
    const selected = selects(entry, query);
    if (selected === false) continue;
    if (selected !== true)
      return {
        kind: 'unknown',
        egress: NO_EGRESS,
        reason: `ip rule ${rule.priority}: the model does not know ${selected.unknown}`,
      };
    const action = rule.action;
    if (action.kind === 'nop') continue;
    if (action.kind === 'goto') {
      // The kernel refuses a goto that does not go forward; only a dump can hold one, and it would loop.
      if (action.priority <= rule.priority)
        return {
          kind: 'unknown',
          egress: NO_EGRESS,
          reason: `loop at ip rule ${rule.priority}: goto ${action.priority} does not go forward`,
        };
      const target = rules.findIndex((r) => r.rule.priority === action.priority);
      if (target < 0)
        return {
          kind: 'unknown',
          egress: NO_EGRESS,
          reason: `ip rule ${rule.priority}: goto ${action.priority}, no such rule`,
        };
      i = target - 1;
      continue;
    }
    if (action.kind !== 'lookup')
      return {
        kind: 'none',
        egress: { ...NO_EGRESS, rulePriority: rule.priority },
        reason: `ip rule ${rule.priority}: ${action.kind}`,
      };
    const route = tableMatch(routing, action.table, query.dst);
    if (route === undefined || route.type === 'throw') continue;
    const prefixlen = Number(route.dst.split('/')[1]);
    if (action.suppressPrefixlength !== null && prefixlen <= action.suppressPrefixlength) continue;
    const egress: Egress = { dev: route.dev, via: route.gateway, table: action.table, rulePriority: rule.priority };
    switch (route.type) {
      case 'unicast':
        if (route.multipath)
          return {
            kind: 'unknown',
            egress,
            reason: `route ${route.dst} table ${action.table} is multipath: the nexthop is a hash`,
          };
        return { kind: 'forward', egress, prefsrc: route.prefsrc };
      case 'local':
        return { kind: 'local', egress: { ...egress, dev: 'local', via: null } };
      case 'blackhole':
      case 'unreachable':
      case 'prohibit':
        return { kind: 'none', egress, reason: `${route.type} route ${route.dst} in table ${action.table}` };
      default:
        return { kind: 'unknown', egress, reason: `${route.type} route ${route.dst} in table ${action.table}` };
    }
  }
  return { kind: 'none', egress: NO_EGRESS, reason: 'no route' };
}

function selects(entry: IndexedRouting['rules'][number], query: RouteQuery): boolean | { unknown: string } {
  const { rule, from, to } = entry;
  let result = cidrContains(from, query.src) && cidrContains(to, query.dst);
  if (rule.iif !== null) result &&= rule.iif === query.iif;
  // oif selects only packets of sockets bound to a device; forwarded packets never are.
  if (rule.oif !== null) {
    if (query.iif === 'lo') return { unknown: `oif ${rule.oif}` };
    result = false;
  }
  // Mangle is not read, so the mark is 0 unless a MARK target was passed.
  if (rule.fwmark !== null) {
    if (query.marked === true && result) return { unknown: `fwmark after a MARK target` };
    result &&= (0 & rule.fwmark.mask) === rule.fwmark.value;
  }
  if (result && rule.unmodelled.length > 0) return { unknown: rule.unmodelled.join(', ') };
  return rule.not ? !result : result;
}

// Packets carry addresses as text; a walk reads them many times.
const parsedAddresses = new Map<string, number>();

export function parseAddress(text: string): number {
  let value = parsedAddresses.get(text);
  if (value === undefined) {
    value = parseIPv4(text) ?? 0;
    if (parsedAddresses.size > 100_000) parsedAddresses.clear();
    parsedAddresses.set(text, value);
  }
  return value;
}
