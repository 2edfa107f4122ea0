/**
 * The model's input, from a live dump or from the desired state. Both give the same shape,
 * so explain, AccessTests and the matrix run one evaluator over either.
 */
import type { DesiredState } from '../model/desired-state.js';
import type { Facts, LayoutConfig } from '../model/facts.js';
import { formatIPv4, parseCidr } from '../model/ipv4.js';
import { hasBackendMarks, ownBackend, parseBackendsOutput } from '../parse/parse-iptables-backends.js';
import { parseIptablesSave } from '../parse/parse-iptables-save.js';
import { formatIptablesSave } from '../render/format-iptables-save.js';
import { renderCell } from '../render/render-cell.js';
import type { Dataplane, Routing, RoutingRoute, RoutingRule, Ruleset, SourceLookup } from './access-types.js';
import { parseRouting, type ParseResult } from './parse-routing.js';
import { ruleProvenance, type ResourceSources } from './rule-provenance.js';

/** A dump of the wireguard target: `iptables-save` (or both backends, as SAVE_BOTH prints them), `ip -j rule`, `ip -j route show table all`. */
export interface WireguardDump {
  readonly iptablesSave: string;
  readonly ipRule: string;
  readonly ipRoute: string;
}

const lookup = (priority: number, table: string, from = '0.0.0.0/0', suppress: number | null = null): RoutingRule => ({
  priority,
  not: false,
  from,
  to: '0.0.0.0/0',
  iif: null,
  oif: null,
  fwmark: null,
  action: { kind: 'lookup', table, suppressPrefixlength: suppress },
  unmodelled: [],
});

/** The kernel's rules of a fresh namespace: local, main, default. */
export const DEFAULT_RULES: readonly RoutingRule[] = [
  lookup(0, 'local'),
  lookup(32766, 'main'),
  lookup(32767, 'default'),
];

/** `ip -j rule` and `ip -j route show table all` → the model's routing. */
export function liveRouting(ipRule: string, ipRoute: string): ParseResult<Routing> {
  const routing = parseRouting(ipRule, ipRoute);
  if (!routing.ok) return routing;
  // A dump saved without its rules still routes as the kernel does by default.
  const rules = routing.value.rules.length === 0 ? DEFAULT_RULES : routing.value.rules;
  return { ok: true, value: { rules, routes: routing.value.routes } };
}

/** The dump's rulesets: one for plain `iptables-save`, both backends for the output of SAVE_BOTH. */
function liveRulesets(text: string, name: string): ParseResult<Ruleset[]> {
  if (!hasBackendMarks(text)) {
    const iptables = parseIptablesSave(text);
    return iptables.ok
      ? { ok: true, value: [{ name, iptables: iptables.value }] }
      : { ok: false, error: `iptables-save: ${iptables.error}` };
  }
  const read = parseBackendsOutput('wireguard', text);
  if (!read.iptables.ok) return { ok: false, error: read.iptables.error };
  const other = read.backend.other;
  return {
    ok: true,
    value: [
      { name: ownBackend(read.backend) ?? name, iptables: read.iptables.value },
      ...(other === null ? [] : [other]),
    ],
  };
}

export function liveDataplane(dump: WireguardDump, sourceOf: SourceLookup, name = 'live'): ParseResult<Dataplane> {
  const rulesets = liveRulesets(dump.iptablesSave, name);
  if (!rulesets.ok) return rulesets;
  const routing = liveRouting(dump.ipRule, dump.ipRoute);
  if (!routing.ok) return routing;
  return { ok: true, value: { rulesets: rulesets.value, routing: routing.value, sourceOf } };
}

function host(cidr: string, offset: number): string {
  const parsed = parseCidr(cidr);
  return formatIPv4((parsed?.network ?? 0) + offset);
}

/**
 * The wireguard target's own address on the tunnel, where linked cells reach the api. The
 * state does not name it; the PIC convention (and the testbed) is the first host of peer_subnet.
 */
export function assumedWireguardAddress(state: DesiredState): string {
  return host(state.cell.peer_subnet, 1);
}

/**
 * The rendered rules on the cell's usual layout: the owned chains and jumps in otherwise
 * empty tables (policies ACCEPT), the rendered policy routes, and the connected routes the
 * state implies (peers and linked cells behind the tunnel, ip_range on the egress, a default
 * route out of it).
 */
export function desiredDataplane(
  state: DesiredState,
  facts: Facts,
  layout: LayoutConfig,
  resources: ResourceSources,
): Dataplane {
  const rendered = renderCell(state, facts, layout);
  const parsed = parseIptablesSave(formatIptablesSave(rendered.iptables));
  // Render writes only validated fields in iptables-save form; failing to read it back is a bug.
  if (!parsed.ok) throw new Error(`rendered rules do not parse: ${parsed.error}`);
  const wg = layout.wireguardInterface;
  const eth = layout.egressInterface;
  const route = (
    table: string,
    dst: string,
    dev: string,
    gateway: string | null = null,
    type = 'unicast',
  ): RoutingRoute => ({
    table,
    type,
    dst,
    gateway,
    dev,
    metric: 0,
    prefsrc: null,
    multipath: false,
  });
  const routes: RoutingRoute[] = [
    route('local', `${assumedWireguardAddress(state)}/32`, wg, null, 'local'),
    route('local', `${host(state.cell.ip_range, 2)}/32`, eth, null, 'local'),
    route('local', '127.0.0.0/8', 'lo', null, 'local'),
    route('main', state.cell.peer_subnet, wg),
    route('main', state.cell.ip_range, eth),
    ...state.links.map((l) => route('main', l.vpn_subnet, wg)),
    route('main', '0.0.0.0/0', eth, host(state.cell.ip_range, 1)),
    ...rendered.routes.map((r) => route(r.table, r.dst === 'default' ? '0.0.0.0/0' : r.dst, r.dev, r.gateway)),
  ];
  const policy = rendered.policyRules.map((r) => lookup(r.priority, r.table, `${r.src}/32`, r.suppressPrefixlength));
  const rules = [...DEFAULT_RULES, ...policy].sort((a, b) => a.priority - b.priority);
  const routing: Routing = { rules, routes };
  return {
    rulesets: [{ name: 'desired', iptables: parsed.value }],
    routing,
    sourceOf: ruleProvenance(state, rendered.iptables, resources),
  };
}
