import fc from 'fast-check';
import type { DesiredState } from '../../src/model/desired-state.js';
import { formatIPv4, parseCidr } from '../../src/model/ipv4.js';
import { buildState, type StateInput } from './build-state.js';

const SERVICE_POOL = ['calendar', 'files', 'mail', 'webdav', 'photos', 'chat'];

/** Link names of every length, with many over the 19 characters a cell chain name has room for. */
const linkName = fc.oneof(
  fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,18}$/),
  fc.stringMatching(/^[a-z0-9][a-z0-9-]{19,31}$/),
);

const linkShape = fc.record({
  name: linkName,
  octet: fc.integer({ min: 0, max: 255 }),
  hasWg: fc.boolean(),
  hasDns: fc.boolean(),
  inbound: fc.dictionary(fc.constantFrom(...SERVICE_POOL), fc.boolean()),
  exitRelay: fc.boolean(),
});

/**
 * Valid desired states: 1..40 peers in 10.0.0.0/24 or 10.8.0.0/16, 0..5 links with
 * distinct names and non-overlapping subnets (10.200.<n>.0/24), random access settings,
 * and route_via only to links that have a wg_ip.
 */
export const arbitraryState: fc.Arbitrary<DesiredState> = fc
  .record({
    peerSubnet: fc.constantFrom('10.0.0.0/24', '10.8.0.0/16'),
    ipRange: fc.constantFrom('172.20.0.0/16', '192.168.50.0/24'),
    domain: fc.constantFrom('cell', 'home.example'),
    services: fc.subarray(SERVICE_POOL, { minLength: 1 }),
    unknownPeers: fc.constantFrom('drop' as const, 'accept' as const),
    links: fc
      .uniqueArray(linkShape, {
        maxLength: 5,
        selector: (l) => l.name,
      })
      .map((links) => links.filter((l, i) => links.findIndex((m) => m.octet === l.octet) === i)),
  })
  .chain((base) => {
    const wide = base.peerSubnet.endsWith('/16');
    const exits = base.links.filter((l) => l.hasWg).map((l) => l.name);
    const peer = fc.record({
      internet_access: fc.boolean(),
      peer_access: fc.boolean(),
      service_access: fc.subarray(base.services),
      route_via: exits.length === 0 ? fc.constant(null) : fc.option(fc.constantFrom(...exits), { nil: null }),
    });
    const hosts = fc.uniqueArray(fc.integer({ min: 2, max: wide ? 65534 : 254 }), { minLength: 1, maxLength: 40 });
    return fc.tuple(fc.constant(base), hosts, fc.array(peer, { minLength: 40, maxLength: 40 }));
  })
  .map(([base, hosts, settings]) => {
    const network = parseCidr(base.peerSubnet)?.network ?? 0;
    const input: StateInput = {
      cell: {
        domain: base.domain,
        ip_range: base.ipRange,
        peer_subnet: base.peerSubnet,
        services: base.services,
        unknown_peers: base.unknownPeers,
      },
      peers: hosts.map((offset, i) => ({
        name: `peer-${i}`,
        ip: formatIPv4(network + offset),
        ...settings[i],
      })),
      links: base.links.map((l) => ({
        name: l.name,
        vpn_subnet: `10.200.${l.octet}.0/24`,
        domain: l.hasDns ? `${l.name}.remote` : null,
        dns_ip: l.hasDns ? `10.200.${l.octet}.53` : null,
        wg_ip: l.hasWg ? `10.200.${l.octet}.1` : null,
        permissions: { inbound: l.inbound },
        remote_exit_relay_active: l.exitRelay,
      })),
    };
    return buildState(input);
  });
