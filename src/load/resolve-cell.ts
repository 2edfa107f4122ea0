import type { Cell, Service } from '../model/desired-state.js';
import { cidrsOverlap, formatIPv4, parseCidr, parseIPv4, type Cidr } from '../model/ipv4.js';
import { hostAddressProblem } from './host-address.js';
import type { FileCell } from './schemas.js';

/** The seed placed the first service VIP at network address + 21 (172.20.0.21). */
export const FIRST_VIP_OFFSET = 21;
const MAX_IPV4 = 0xffffffff;

export interface FieldProblem {
  /** Path inside the resource, e.g. ['services', 2]. */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * A parsed Cell with its VIPs assigned: the i-th service (position in the list)
 * without a `vip` gets network address + 21 + i. Every VIP must be a usable host
 * address of ip_range and distinct; service names distinct; ip_range and peer_subnet
 * must not overlap.
 */
export function resolveCell(file: FileCell): { cell: Cell } | { problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  // The schema has already checked both CIDRs.
  const ipRange = parseCidr(file.ip_range) as Cidr;
  const peerSubnet = parseCidr(file.peer_subnet) as Cidr;
  if (cidrsOverlap(ipRange, peerSubnet)) {
    problems.push({ path: ['peer_subnet'], message: `overlaps ip_range ${file.ip_range}` });
  }

  const services: Service[] = [];
  const names = new Set<string>();
  const vips = new Map<string, string>();
  file.services.forEach((entry, i) => {
    const name = typeof entry === 'string' ? entry : entry.name;
    const address = typeof entry === 'string' ? ipRange.network + FIRST_VIP_OFFSET + i : (parseIPv4(entry.vip) ?? 0);
    const vip = formatIPv4(Math.min(address, MAX_IPV4));
    const path = typeof entry === 'string' ? ['services', i] : ['services', i, 'vip'];
    if (names.has(name))
      problems.push({
        path: typeof entry === 'string' ? path : ['services', i, 'name'],
        message: `duplicate service "${name}"`,
      });
    const hostProblem = hostAddressProblem(ipRange, address);
    if (hostProblem !== null) problems.push({ path, message: `VIP ${vip} ${hostProblem} ip_range ${file.ip_range}` });
    const other = vips.get(vip);
    if (other !== undefined) problems.push({ path, message: `VIP ${vip} is also the VIP of service "${other}"` });
    names.add(name);
    vips.set(vip, name);
    services.push({ name, vip });
  });

  if (problems.length > 0) return { problems };
  return {
    cell: {
      kind: 'Cell',
      name: file.name,
      domain: file.domain,
      ip_range: file.ip_range,
      peer_subnet: file.peer_subnet,
      services,
      upstream_dns: [...file.upstream_dns],
      unknown_peers: file.unknown_peers,
    },
  };
}
