import { formatIPv4, parseCidr } from '../model/ipv4.js';

/**
 * Synthetic cells for the benchmark (issue 7): N peers and L cell links with varied access,
 * as the files of a state directory (`cell.json`, `peers/<name>.json`, `cells/<name>.json`).
 * Pure and deterministic: the same size always gives the same files, so runs compare.
 */

export interface CellSize {
  readonly peers: number;
  readonly links: number;
}

export interface StateFileSpec {
  /** Relative to the state directory, with `/`. */
  readonly path: string;
  readonly content: Readonly<Record<string, unknown>>;
}

/** A /16, so 5,000 peers fit; links live in 10.9.0.0/16, which it does not overlap. */
export const PEER_SUBNET = '10.8.0.0/16';
const LINK_NETWORK = 10 * 2 ** 24 + 9 * 2 ** 16;
export const MAX_PEERS = 65_000;
export const MAX_LINKS = 256;
export const SERVICES = ['calendar', 'files', 'mail', 'webdav'] as const;

/** Every tenth peer (from the sixth) leaves through a linked cell. */
export function routesVia(index: number): boolean {
  return index % 10 === 5;
}

export function peerName(index: number): string {
  return `peer-${index}`;
}

export function linkName(index: number): string {
  return `link-${index}`;
}

export function peerIp(index: number): string {
  const subnet = parseCidr(PEER_SUBNET);
  if (subnet === null) throw new Error(`bad PEER_SUBNET ${PEER_SUBNET}`);
  return formatIPv4(subnet.network + 2 + index);
}

function subset(mask: number): string[] {
  return SERVICES.filter((_, bit) => (mask & (1 << bit)) !== 0);
}

export function peerResource(index: number, links: number): Record<string, unknown> {
  return {
    kind: 'Peer',
    name: peerName(index),
    ip: peerIp(index),
    internet_access: index % 3 !== 1,
    service_access: subset(index % 16),
    peer_access: index % 4 !== 3,
    route_via: links > 0 && routesVia(index) ? linkName(index % links) : null,
  };
}

export function linkResource(index: number): Record<string, unknown> {
  const base = LINK_NETWORK + index * 256;
  return {
    kind: 'CellLink',
    name: linkName(index),
    vpn_subnet: `${formatIPv4(base)}/24`,
    domain: `${linkName(index)}.remote`,
    dns_ip: formatIPv4(base + 53),
    wg_ip: formatIPv4(base + 1),
    permissions: { inbound: Object.fromEntries(SERVICES.map((service, bit) => [service, ((index + bit) & 1) === 0])) },
    remote_exit_relay_active: index % 3 === 0,
  };
}

export function cellResource(): Record<string, unknown> {
  return {
    kind: 'Cell',
    name: 'bench',
    domain: 'cell',
    ip_range: '172.20.0.0/16',
    peer_subnet: PEER_SUBNET,
    services: [...SERVICES],
    upstream_dns: ['8.8.8.8', '1.1.1.1'],
    unknown_peers: 'drop',
  };
}

/** The state directory's files for a cell of this size. */
export function syntheticStateFiles(size: CellSize): StateFileSpec[] {
  if (!Number.isInteger(size.peers) || size.peers < 0 || size.peers > MAX_PEERS)
    throw new Error(`peers must be 0..${MAX_PEERS}`);
  if (!Number.isInteger(size.links) || size.links < 0 || size.links > MAX_LINKS)
    throw new Error(`links must be 0..${MAX_LINKS}`);
  const files: StateFileSpec[] = [{ path: 'cell.json', content: cellResource() }];
  for (let i = 0; i < size.links; i++) files.push({ path: `cells/${linkName(i)}.json`, content: linkResource(i) });
  for (let i = 0; i < size.peers; i++)
    files.push({ path: `peers/${peerName(i)}.json`, content: peerResource(i, size.links) });
  return files;
}

/** The peer a "one peer changed" step edits: the middle one, with its internet access flipped. */
export function changedPeerFile(size: CellSize): StateFileSpec {
  const index = Math.floor(size.peers / 2);
  const peer = peerResource(index, size.links);
  return {
    path: `peers/${peerName(index)}.json`,
    content: { ...peer, internet_access: peer['internet_access'] !== true },
  };
}
