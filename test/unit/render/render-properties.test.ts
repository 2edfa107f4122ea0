import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DesiredState, Peer } from '../../../src/model/desired-state.js';
import { DEFAULT_LAYOUT } from '../../../src/model/facts.js';
import { cidrContains, formatIPv4, parseCidr, parseIPv4 } from '../../../src/model/ipv4.js';
import { canonicalRule, ruleComment, ruleTarget } from '../../../src/model/iptables-rule.js';
import { MAX_CHAIN_NAME_LENGTH, OWNED_CHAIN_PREFIX, TABLES } from '../../../src/model/iptables.js';
import { renderCell } from '../../../src/render/render-cell.js';
import { arbitraryState } from '../../helpers/arbitrary-state.js';
import { walkFilter } from './walk-filter.js';

const RUNS = { seed: 42, numRuns: 150 };
const facts = fc.constantFrom({ apiIp: '172.20.0.3' }, { apiIp: null });

/** RFC 1918, written out here rather than imported: the property must not share the renderer's list. */
const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map((text) => {
  const cidr = parseCidr(text);
  if (cidr === null) throw new Error(text);
  return cidr;
});
const inside = (cidrText: string, ip: string): boolean => {
  const cidr = parseCidr(cidrText);
  return cidr !== null && cidrContains(cidr, parseIPv4(ip) ?? -1);
};

/** Destinations on both sides of every private range's edges, inside them, and anywhere. */
const destination = fc
  .oneof(
    fc.constantFrom(...PRIVATE_RANGES).chain(({ network, prefixlen }) => {
      const last = network + 2 ** (32 - prefixlen) - 1;
      return fc.oneof(fc.constantFrom(network - 1, network, last, last + 1), fc.integer({ min: network, max: last }));
    }),
    fc.integer({ min: 1, max: 0xdfffffff }),
  )
  .map(formatIPv4);

/** What the seed's per-peer rules decide for a peer's packet to `dst`, most specific first. */
function expectedVerdict(state: DesiredState, peer: Peer, dst: string): 'ACCEPT' | 'DROP' {
  const service = state.cell.services.find((s) => s.vip === dst);
  if (service !== undefined) return peer.service_access.includes(service.name) ? 'ACCEPT' : 'DROP';
  if (inside(state.cell.peer_subnet, dst)) return peer.peer_access ? 'ACCEPT' : 'DROP';
  if (peer.internet_access) return 'ACCEPT';
  return PRIVATE_RANGES.some((range) => cidrContains(range, parseIPv4(dst) ?? -1)) ? 'ACCEPT' : 'DROP';
}

describe('render properties', () => {
  it('is deterministic', () => {
    fc.assert(
      fc.property(arbitraryState, facts, (state, f) => {
        const copy = structuredClone(state);
        expect(renderCell(copy, f, DEFAULT_LAYOUT)).toEqual(renderCell(state, f, DEFAULT_LAYOUT));
      }),
      RUNS,
    );
  });

  it('owns well-formed chains: tagged, canonical, short unique names, no dangling jumps', () => {
    fc.assert(
      fc.property(arbitraryState, facts, (state, f) => {
        const { iptables } = renderCell(state, f, DEFAULT_LAYOUT);
        for (const table of TABLES) {
          const { chains, jumps } = iptables[table];
          const names = chains.map((c) => c.name);
          expect(new Set(names).size).toBe(names.length);
          for (const name of names) {
            expect(name.startsWith(OWNED_CHAIN_PREFIX)).toBe(true);
            expect(name.length).toBeLessThanOrEqual(MAX_CHAIN_NAME_LENGTH);
          }
          for (const jump of jumps) {
            expect(ruleComment(jump.rule)).toBe('pic:jump');
            expect(names).toContain(ruleTarget(jump.rule));
          }
          for (const rule of chains.flatMap((c) => c.rules)) {
            expect(ruleComment(rule)).toMatch(/^pic-/);
            expect(canonicalRule(rule)).toBe(rule);
            const target = ruleTarget(rule) ?? '';
            if (target.startsWith(OWNED_CHAIN_PREFIX)) expect(names).toContain(target);
          }
        }
      }),
      RUNS,
    );
  });

  it('lets each peer reach exactly the service VIPs it has access to', () => {
    fc.assert(
      fc.property(arbitraryState, (state) => {
        const { filter } = renderCell(state, { apiIp: '172.20.0.3' }, DEFAULT_LAYOUT).iptables;
        for (const peer of state.peers) {
          for (const service of state.cell.services) {
            const verdict = walkFilter(filter, { src: peer.ip, dst: service.vip, in: 'wg0', out: 'eth0' });
            expect(verdict).toBe(peer.service_access.includes(service.name) ? 'ACCEPT' : 'DROP');
          }
          const internet = walkFilter(filter, { src: peer.ip, dst: '93.184.216.34', in: 'wg0', out: 'eth0' });
          expect(internet).toBe(peer.internet_access ? 'ACCEPT' : 'DROP');
        }
      }),
      RUNS,
    );
  });

  it('lets a peer without internet access reach the private ranges and nothing past their edges', () => {
    fc.assert(
      fc.property(arbitraryState, fc.array(destination, { minLength: 20, maxLength: 20 }), (state, destinations) => {
        const { filter } = renderCell(state, { apiIp: '172.20.0.3' }, DEFAULT_LAYOUT).iptables;
        for (const peer of state.peers) {
          for (const dst of destinations) {
            expect(walkFilter(filter, { src: peer.ip, dst, in: 'wg0', out: 'eth0' }), `${peer.name} → ${dst}`).toBe(
              expectedVerdict(state, peer, dst),
            );
          }
        }
      }),
      RUNS,
    );
  });

  it('lets each linked cell reach exactly the services its inbound permissions allow, the api, and the internet only as a relay', () => {
    fc.assert(
      fc.property(arbitraryState, facts, fc.integer({ min: 1, max: 254 }), (state, f, hostOctet) => {
        const { filter } = renderCell(state, f, DEFAULT_LAYOUT).iptables;
        for (const link of state.links) {
          const network = parseCidr(link.vpn_subnet)?.network ?? 0;
          const src = formatIPv4(network + hostOctet);
          const from = (dst: string, extra: { proto?: 'tcp'; dport?: number } = {}) =>
            walkFilter(filter, { src, dst, in: 'wg0', out: 'eth0', ...extra });
          for (const service of state.cell.services) {
            expect(from(service.vip), `${link.name} → ${service.name}`).toBe(
              link.permissions.inbound[service.name] === true ? 'ACCEPT' : 'DROP',
            );
          }
          if (f.apiIp !== null) expect(from(f.apiIp, { proto: 'tcp', dport: DEFAULT_LAYOUT.apiPort })).toBe('ACCEPT');
          expect(from('93.184.216.34'), `${link.name} → internet`).toBe(
            link.remote_exit_relay_active ? 'ACCEPT' : 'DROP',
          );
        }
      }),
      RUNS,
    );
  });

  it('gives each exit link its own table and each routed peer its link table', () => {
    fc.assert(
      fc.property(arbitraryState, (state) => {
        const { policyRules, routes } = renderCell(state, { apiIp: null }, DEFAULT_LAYOUT);
        const tables = routes.map((r) => r.table);
        expect(new Set(tables).size).toBe(tables.length);
        const routed = state.peers.filter((p) => p.route_via !== null);
        expect(policyRules).toHaveLength(2 * routed.length);
        for (const peer of routed) {
          const link = state.links.find((l) => l.name === peer.route_via);
          const exit = policyRules.find((r) => r.src === peer.ip && r.table !== 'main');
          expect(routes.find((r) => r.table === exit?.table)?.gateway).toBe(link?.wg_ip);
        }
      }),
      RUNS,
    );
  });
});
