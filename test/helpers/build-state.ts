import type { Cell, CellLink, DesiredState, Peer, Service } from '../../src/model/desired-state.js';
import { compareIPv4Text, formatIPv4, parseCidr } from '../../src/model/ipv4.js';

/** A cell as written in a state file: services by name or with an explicit VIP. */
export type CellInput = Partial<Omit<Cell, 'kind' | 'services'>> & {
  readonly services?: readonly (string | { readonly name: string; readonly vip?: string })[];
};

export interface StateInput {
  readonly cell?: CellInput;
  readonly peers?: readonly Partial<Omit<Peer, 'kind'>>[];
  readonly links?: readonly Partial<Omit<CellLink, 'kind'>>[];
}

export const DEFAULT_SERVICES = ['calendar', 'files', 'mail', 'webdav'] as const;

function networkOf(cidr: string): number {
  const parsed = parseCidr(cidr);
  if (parsed === null) throw new Error(`buildState: bad CIDR ${cidr}`);
  return parsed.network;
}

/**
 * A DesiredState with the defaults of DESIGN §3 resolved, as the loader would produce
 * it: the i-th service without a VIP gets network + 21 + i, peers default to address
 * network + 2 + their index and to every service, peers sorted by IP, links by name.
 */
export function buildState(input: StateInput = {}): DesiredState {
  const c = input.cell ?? {};
  const ipRange = c.ip_range ?? '172.20.0.0/16';
  const peerSubnet = c.peer_subnet ?? '10.0.0.0/24';
  const services: Service[] = (c.services ?? DEFAULT_SERVICES).map((s, i) => {
    const { name, vip } = typeof s === 'string' ? { name: s, vip: undefined } : s;
    return { name, vip: vip ?? formatIPv4(networkOf(ipRange) + 21 + i) };
  });
  const cell: Cell = {
    kind: 'Cell',
    name: c.name ?? 'home',
    domain: c.domain ?? 'cell',
    ip_range: ipRange,
    peer_subnet: peerSubnet,
    services,
    upstream_dns: c.upstream_dns ?? ['8.8.8.8', '1.1.1.1'],
    unknown_peers: c.unknown_peers ?? 'drop',
  };
  const peers: Peer[] = (input.peers ?? []).map((p, i) => {
    const ip = p.ip ?? formatIPv4(networkOf(peerSubnet) + 2 + i);
    return {
      kind: 'Peer',
      name: p.name ?? `peer-${ip.replaceAll('.', '-')}`,
      ip,
      internet_access: p.internet_access ?? true,
      service_access: p.service_access ?? services.map((s) => s.name),
      peer_access: p.peer_access ?? true,
      route_via: p.route_via ?? null,
    };
  });
  const links: CellLink[] = (input.links ?? []).map((l, i) => ({
    kind: 'CellLink',
    name: l.name ?? `link-${i}`,
    vpn_subnet: l.vpn_subnet ?? `10.${100 + i}.0.0/24`,
    domain: l.domain ?? null,
    dns_ip: l.dns_ip ?? null,
    wg_ip: l.wg_ip ?? null,
    permissions: l.permissions ?? { inbound: {} },
    remote_exit_relay_active: l.remote_exit_relay_active ?? false,
  }));
  peers.sort((a, b) => compareIPv4Text(a.ip, b.ip));
  links.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { cell, peers, links };
}

/** The resolved content of the repository's `state/` directory. */
export const EXAMPLE_STATE: DesiredState = buildState({
  cell: {
    name: 'home',
    domain: 'cell',
    ip_range: '172.20.0.0/16',
    peer_subnet: '10.0.0.0/24',
    services: ['calendar', 'files', 'mail', 'webdav'],
    upstream_dns: ['8.8.8.8', '1.1.1.1'],
    unknown_peers: 'drop',
  },
  peers: [
    {
      name: 'alice',
      ip: '10.0.0.2',
      internet_access: true,
      service_access: ['calendar', 'files', 'mail', 'webdav'],
      peer_access: true,
    },
    { name: 'bob', ip: '10.0.0.3', internet_access: false, service_access: ['calendar', 'mail'], peer_access: true },
    {
      name: 'carol',
      ip: '10.0.0.4',
      internet_access: true,
      service_access: ['files'],
      peer_access: false,
      route_via: 'paris',
    },
    { name: 'dave-phone', ip: '10.0.0.10', internet_access: false, service_access: [], peer_access: false },
    { name: 'erin-laptop', ip: '10.0.0.11', service_access: ['calendar', 'files'] },
  ],
  links: [
    {
      name: 'paris',
      vpn_subnet: '10.0.1.0/24',
      domain: 'paris.cell',
      dns_ip: '10.0.1.1',
      wg_ip: '10.0.1.1',
      permissions: { inbound: { calendar: true, files: false, mail: false, webdav: false } },
      remote_exit_relay_active: false,
    },
    {
      name: 'lyon',
      vpn_subnet: '10.0.2.0/24',
      domain: 'lyon.cell',
      dns_ip: '10.0.2.1',
      wg_ip: '10.0.2.1',
      permissions: { inbound: { calendar: true, files: true, mail: false, webdav: false } },
      remote_exit_relay_active: true,
    },
  ],
});
