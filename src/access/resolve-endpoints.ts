/**
 * `--from X --to Y` (and an AccessTest's from/to) → the packet the wireguard target sees.
 * X: a peer, `cell:<link>`, or an IPv4 address. Y: a service (its VIP), a peer, `api` (the
 * cell's WireGuard address at api_port, meant to reach the api), `internet`, `cell:<link>`,
 * or an IPv4 address with an optional `:port`.
 */
import type { DesiredState } from '../model/desired-state.js';
import { formatIPv4, parseCidr, parseIPv4 } from '../model/ipv4.js';
import type { LayoutConfig } from '../model/facts.js';
import type { Packet, Proto, Routing } from './access-types.js';
import { parseAddress, tableMatch } from './route-lookup.js';
import type { ConnectionIntent } from './evaluate-connection.js';

/** A public address (TEST-NET-3) standing in for "the internet". */
export const INTERNET_ADDRESS = '203.0.113.10';
export const DEFAULT_PORT = 443;

export interface EndpointContext {
  readonly state: DesiredState;
  readonly wireguardInterface: string;
  readonly apiPort: number;
  /** The target's own address on the tunnel. */
  readonly wireguardAddress: string | null;
  readonly apiIp: string | null;
  /** The interface an arbitrary source address arrives on (where the target routes it). */
  readonly ifaceFor: (ip: string) => string;
}

export interface Query {
  readonly from: string;
  readonly to: string;
  readonly port?: number | undefined;
  readonly proto?: Proto | undefined;
}

export interface ResolvedQuery {
  readonly packet: Packet;
  readonly intent: ConnectionIntent;
  /** Human names of both ends, e.g. `bob (10.0.0.3)`. */
  readonly fromLabel: string;
  readonly toLabel: string;
}

/** A host inside a linked cell's subnet, as its traffic arrives: the fifth address (the subnet itself when smaller). */
export function linkHost(vpnSubnet: string): string {
  const cidr = parseCidr(vpnSubnet);
  if (cidr === null) return vpnSubnet;
  const size = 2 ** (32 - cidr.prefixlen);
  return formatIPv4(cidr.network + (size > 8 ? 5 : size > 2 ? 1 : 0));
}

type Resolved<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

function source(name: string, ctx: EndpointContext): Resolved<{ ip: string; iface: string; label: string }> {
  const { state } = ctx;
  if (name.startsWith('cell:')) {
    const link = state.links.find((l) => l.name === name.slice(5));
    if (link === undefined) return { ok: false, error: `no cell link named ${JSON.stringify(name.slice(5))}` };
    const ip = linkHost(link.vpn_subnet);
    return { ok: true, value: { ip, iface: ctx.wireguardInterface, label: `${name} (${ip})` } };
  }
  const peer = state.peers.find((p) => p.name === name);
  if (peer !== undefined)
    return { ok: true, value: { ip: peer.ip, iface: ctx.wireguardInterface, label: `${peer.name} (${peer.ip})` } };
  if (parseIPv4(name) !== null) return { ok: true, value: { ip: name, iface: ctx.ifaceFor(name), label: name } };
  return { ok: false, error: `${JSON.stringify(name)} is no peer, cell:<link> or IPv4 address` };
}

function destination(
  name: string,
  ctx: EndpointContext,
): Resolved<{ ip: string; port: number | null; label: string; intent: ConnectionIntent }> {
  const { state } = ctx;
  const plain = (ip: string, label: string, port: number | null = null) => ({
    ok: true as const,
    value: { ip, port, label: `${label} (${ip})`, intent: {} },
  });
  const service = state.cell.services.find((s) => s.name === name);
  if (service !== undefined) return plain(service.vip, service.name);
  const peer = state.peers.find((p) => p.name === name);
  if (peer !== undefined) return plain(peer.ip, peer.name);
  if (name === 'internet') return plain(INTERNET_ADDRESS, 'internet');
  if (name === 'api') {
    if (ctx.wireguardAddress === null)
      return { ok: false, error: 'api: the wireguard target has no address on its tunnel interface' };
    const intent = ctx.apiIp === null ? {} : { expectDestination: ctx.apiIp };
    return {
      ok: true,
      value: {
        ip: ctx.wireguardAddress,
        port: ctx.apiPort,
        label: `api (${ctx.wireguardAddress}:${ctx.apiPort})`,
        intent,
      },
    };
  }
  if (name.startsWith('cell:')) {
    const link = state.links.find((l) => l.name === name.slice(5));
    if (link === undefined) return { ok: false, error: `no cell link named ${JSON.stringify(name.slice(5))}` };
    return plain(linkHost(link.vpn_subnet), name);
  }
  const [ip = '', portText, extra] = name.split(':');
  if (parseIPv4(ip) !== null && extra === undefined) {
    if (portText === undefined) return plain(ip, ip);
    const port =
      /^[0-9]{1,5}$/.test(portText) && Number(portText) <= 65535 && Number(portText) > 0 ? Number(portText) : null;
    if (port === null) return { ok: false, error: `${JSON.stringify(name)}: bad port` };
    return plain(ip, ip, port);
  }
  return { ok: false, error: `${JSON.stringify(name)} is no service, peer, api, internet, cell:<link> or IPv4[:port]` };
}

export function resolveQuery(query: Query, ctx: EndpointContext): Resolved<ResolvedQuery> {
  const from = source(query.from, ctx);
  if (!from.ok) return { ok: false, error: `from: ${from.error}` };
  const to = destination(query.to, ctx);
  if (!to.ok) return { ok: false, error: `to: ${to.error}` };
  const packet: Packet = {
    src: from.value.ip,
    dst: to.value.ip,
    proto: query.proto ?? 'tcp',
    dport: query.port ?? to.value.port ?? DEFAULT_PORT,
    sport: null,
    inIface: from.value.iface,
  };
  return { ok: true, value: { packet, intent: to.value.intent, fromLabel: from.value.label, toLabel: to.value.label } };
}

/**
 * The context endpoints resolve in: the cell's layout, the target's own addresses, and, for a
 * source address, the interface it arrives on: where the target's main table routes it.
 */
export function endpointContext(
  state: DesiredState,
  layout: LayoutConfig,
  routing: Routing,
  addresses: { readonly wireguardAddress: string | null; readonly apiIp: string | null },
): EndpointContext {
  return {
    state,
    wireguardInterface: layout.wireguardInterface,
    apiPort: layout.apiPort,
    ...addresses,
    ifaceFor: (ip) => tableMatch(routing, 'main', parseAddress(ip))?.dev || layout.wireguardInterface,
  };
}
