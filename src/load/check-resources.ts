/**
 * Checks between resources (DESIGN.md §3): duplicate names and addresses, peers and links
 * against the cell, links against each other. Each problem is charged to one resource by
 * the blame rules in blame-conflict.ts.
 */
import type { Cell, CellLink, Peer, Resource } from '../model/desired-state.js';
import { cidrContains, cidrsOverlap, parseCidr, parseIPv4, type Cidr } from '../model/ipv4.js';
import { cellChainName } from '../model/chain-names.js';
import { blameOne, conflict, type Candidate, type Finding } from './blame-conflict.js';
import { resourceKey } from './loaded-state.js';
import { hostAddressProblem } from './host-address.js';

/** Findings when there is more than one Cell; the first in file order is the reference. */
export function checkCells(cells: readonly Candidate<Cell>[]): Finding[] {
  const [first, ...others] = [...cells].sort(byOrder);
  if (first === undefined) return [];
  return others.flatMap((other) =>
    conflict(
      {
        candidate: first,
        path: ['kind'],
        message: `a second Cell, ${resourceKey(other.resource)}, is in ${other.file}; there must be exactly one`,
      },
      {
        candidate: other,
        path: ['kind'],
        message: `there must be exactly one Cell; ${resourceKey(first.resource)} is in ${first.file}`,
      },
    ),
  );
}

export function checkResources(
  cell: Candidate<Cell>,
  peers: readonly Candidate<Peer>[],
  links: readonly Candidate<CellLink>[],
): Finding[] {
  return [
    ...checkUnique<Resource>(
      [...peers, ...links],
      (r) => resourceKey(r),
      ['name'],
      (v) => `name ${v} is used twice`,
    ),
    ...checkUnique(
      peers,
      (r) => r.ip,
      ['ip'],
      (v) => `IP ${v} is used by two peers`,
    ),
    // Same-name links are reported above; only distinct names can collide here.
    ...checkUnique(
      firstByName(links),
      (r) => cellChainName(r.name),
      ['name'],
      (v) => `chain name ${v} of two CellLinks collides`,
    ),
    ...peers.flatMap((peer) => checkPeer(cell, peer, links)),
    ...links.flatMap((link) => checkLink(cell, link)),
    ...checkLinkOverlaps(links),
    // CoreDNS refuses a zone defined twice, and would then not start at all.
    ...checkUnique(
      links.filter((l) => l.resource.domain !== null),
      (r) => r.domain ?? '',
      ['domain'],
      (v) => `DNS zone ${v} is forwarded twice`,
    ),
  ];
}

function checkUnique<R extends Resource>(
  candidates: readonly Candidate<R>[],
  keyOf: (resource: R) => string,
  path: readonly string[],
  message: (value: string) => string,
): Finding[] {
  const first = new Map<string, Candidate<R>>();
  const findings: Finding[] = [];
  for (const candidate of [...candidates].sort(byOrder)) {
    const value = keyOf(candidate.resource);
    const earlier = first.get(value);
    if (earlier === undefined) {
      first.set(value, candidate);
      continue;
    }
    findings.push(
      ...conflict(
        {
          candidate: earlier,
          path,
          message: `${message(value)}: also by ${resourceKey(candidate.resource)} in ${candidate.file}`,
        },
        { candidate, path, message: `${message(value)}: also by ${resourceKey(earlier.resource)} in ${earlier.file}` },
      ),
    );
  }
  return findings;
}

function checkPeer(cell: Candidate<Cell>, peer: Candidate<Peer>, links: readonly Candidate<CellLink>[]): Finding[] {
  const findings: Finding[] = [];
  const { ip, service_access: access, route_via: via } = peer.resource;
  const subnetText = cell.resource.peer_subnet;
  const problem = hostAddressProblem(parseCidr(subnetText) as Cidr, parseIPv4(ip) ?? 0);
  if (problem !== null) {
    findings.push(
      ...conflict(
        {
          candidate: cell,
          path: ['peer_subnet'],
          message: `${resourceKey(peer.resource)} (${peer.file}) at ${ip} ${problem} peer_subnet ${subnetText}`,
        },
        { candidate: peer, path: ['ip'], message: `${ip} ${problem} peer_subnet ${subnetText} of the Cell` },
      ),
    );
  }
  const services = new Set(cell.resource.services.map((s) => s.name));
  access.forEach((name, i) => {
    if (services.has(name)) return;
    findings.push(
      ...conflict(
        {
          candidate: cell,
          path: ['services'],
          message: `${resourceKey(peer.resource)} (${peer.file}) refers to service "${name}", which the Cell lacks`,
        },
        {
          candidate: peer,
          path: ['service_access', i],
          message: `unknown service "${name}"; the Cell has ${[...services].join(', ') || 'none'}`,
        },
      ),
    );
  });
  if (via !== null) {
    const link = links.find((l) => l.resource.name === via);
    if (link === undefined) {
      findings.push(...blameOne({ candidate: peer, path: ['route_via'], message: `no CellLink named "${via}"` }));
    } else if (link.resource.wg_ip === null) {
      findings.push(
        ...conflict(
          {
            candidate: link,
            path: ['wg_ip'],
            message: `${resourceKey(peer.resource)} (${peer.file}) routes via this link, which needs wg_ip`,
          },
          { candidate: peer, path: ['route_via'], message: `CellLink "${via}" has no wg_ip to route via` },
        ),
      );
    }
  }
  return findings;
}

function checkLink(cell: Candidate<Cell>, link: Candidate<CellLink>): Finding[] {
  const findings: Finding[] = [];
  const subnet = parseCidr(link.resource.vpn_subnet) as Cidr;
  for (const field of ['peer_subnet', 'ip_range'] as const) {
    const own = cell.resource[field];
    if (!cidrsOverlap(subnet, parseCidr(own) as Cidr)) continue;
    findings.push(
      ...conflict(
        {
          candidate: cell,
          path: [field],
          message: `overlaps vpn_subnet ${link.resource.vpn_subnet} of ${resourceKey(link.resource)} (${link.file})`,
        },
        { candidate: link, path: ['vpn_subnet'], message: `overlaps ${field} ${own} of the Cell` },
      ),
    );
  }
  const wgIp = link.resource.wg_ip === null ? null : parseIPv4(link.resource.wg_ip);
  if (wgIp !== null && cidrContains(parseCidr(cell.resource.peer_subnet) as Cidr, wgIp)) {
    findings.push(
      ...conflict(
        {
          candidate: cell,
          path: ['peer_subnet'],
          message: `holds wg_ip ${link.resource.wg_ip ?? ''} of ${resourceKey(link.resource)} (${link.file}), which must be a remote next hop`,
        },
        {
          candidate: link,
          path: ['wg_ip'],
          message: `${link.resource.wg_ip ?? ''} is inside the Cell's peer_subnet ${cell.resource.peer_subnet}: it cannot be a next hop`,
        },
      ),
    );
  }
  if (link.resource.domain === cell.resource.domain) {
    findings.push(
      ...conflict(
        {
          candidate: cell,
          path: ['domain'],
          message: `is also the domain of ${resourceKey(link.resource)} (${link.file})`,
        },
        { candidate: link, path: ['domain'], message: `${link.resource.domain} is the Cell's own zone` },
      ),
    );
  }
  const services = new Set(cell.resource.services.map((s) => s.name));
  for (const name of Object.keys(link.resource.permissions.inbound)) {
    if (services.has(name)) continue;
    findings.push(
      ...conflict(
        {
          candidate: cell,
          path: ['services'],
          message: `${resourceKey(link.resource)} (${link.file}) grants service "${name}", which the Cell lacks`,
        },
        { candidate: link, path: ['permissions', 'inbound', name], message: `unknown service "${name}"` },
      ),
    );
  }
  return findings;
}

function checkLinkOverlaps(links: readonly Candidate<CellLink>[]): Finding[] {
  const sorted = [...links].sort(byOrder);
  return sorted.flatMap((later, j) =>
    sorted.slice(0, j).flatMap((earlier) => {
      const a = earlier.resource.vpn_subnet;
      const b = later.resource.vpn_subnet;
      if (!cidrsOverlap(parseCidr(a) as Cidr, parseCidr(b) as Cidr)) return [];
      return conflict(
        {
          candidate: earlier,
          path: ['vpn_subnet'],
          message: `overlaps vpn_subnet ${b} of ${resourceKey(later.resource)} (${later.file})`,
        },
        {
          candidate: later,
          path: ['vpn_subnet'],
          message: `overlaps vpn_subnet ${a} of ${resourceKey(earlier.resource)} (${earlier.file})`,
        },
      );
    }),
  );
}

function firstByName<R extends Resource>(candidates: readonly Candidate<R>[]): Candidate<R>[] {
  const first = new Map<string, Candidate<R>>();
  for (const c of [...candidates].sort(byOrder)) if (!first.has(c.resource.name)) first.set(c.resource.name, c);
  return [...first.values()];
}

function byOrder(a: Candidate, b: Candidate): number {
  return a.order - b.order;
}
