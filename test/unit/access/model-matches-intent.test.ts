import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { desiredDataplane, assumedWireguardAddress } from '../../../src/access/build-dataplane.js';
import { evaluateConnection } from '../../../src/access/evaluate-connection.js';
import type { Dataplane, Packet } from '../../../src/access/access-types.js';
import { linkHost } from '../../../src/access/resolve-endpoints.js';
import type { DesiredState } from '../../../src/model/desired-state.js';
import { DEFAULT_LAYOUT } from '../../../src/model/facts.js';
import { formatIPv4, parseCidr, parseIPv4 } from '../../../src/model/ipv4.js';
import { expectedReachability } from '../../../src/testbed/expected-reachability.js';
import { arbitraryState } from '../../helpers/arbitrary-state.js';

/** The same endpoints the testbed probes: services :80, peers :7, an internet host :80, the api through the DNAT. */
const INTERNET = '198.18.0.10';

function apiIpOf(state: DesiredState): string {
  return formatIPv4((parseCidr(state.cell.ip_range)?.network ?? 0) + 3);
}

function unknownSource(state: DesiredState): string {
  const cidr = parseCidr(state.cell.peer_subnet);
  const last = (cidr?.network ?? 0) + 2 ** (32 - (cidr?.prefixlen ?? 24)) - 1;
  const used = new Set(state.peers.map((p) => parseIPv4(p.ip)));
  for (let back = 3; ; back++) if (!used.has(last - back)) return formatIPv4(last - back);
}

function sourceIp(state: DesiredState, source: string): string {
  if (source === 'unknown') return unknownSource(state);
  if (source.startsWith('cell:'))
    return linkHost(state.links.find((l) => `cell:${l.name}` === source)?.vpn_subnet ?? '');
  return state.peers.find((p) => p.name === source)?.ip ?? '';
}

function column(state: DesiredState, label: string): { dst: string; dport: number; expect?: string } {
  const service = state.cell.services.find((s) => s.name === label);
  if (service !== undefined) return { dst: service.vip, dport: 80 };
  if (label === 'internet') return { dst: INTERNET, dport: 80 };
  if (label === 'api') return { dst: assumedWireguardAddress(state), dport: 3000, expect: apiIpOf(state) };
  return { dst: state.peers.find((p) => `peer:${p.name}` === label)?.ip ?? '', dport: 7 };
}

function modelMatrix(
  state: DesiredState,
  dataplane: Dataplane,
): { source: string; column: string; expected: boolean; reaches: boolean | null }[] {
  const out: { source: string; column: string; expected: boolean; reaches: boolean | null }[] = [];
  for (const row of expectedReachability(state)) {
    const src = sourceIp(state, row.source);
    for (const [label, expected] of Object.entries(row.cells)) {
      const { dst, dport, expect } = column(state, label);
      if (dst === src) continue;
      const packet: Packet = { src, dst, proto: 'tcp', dport, sport: null, inIface: 'wg0' };
      const result = evaluateConnection(dataplane, packet, expect === undefined ? {} : { expectDestination: expect });
      out.push({ source: row.source, column: label, expected: expected !== null, reaches: result.reaches });
    }
  }
  return out;
}

describe('the packet model over rendered rules', () => {
  it('reaches exactly what the state intends, for every (source, destination) pair of random states', () => {
    fc.assert(
      fc.property(arbitraryState, (state) => {
        const dataplane = desiredDataplane(state, { apiIp: apiIpOf(state) }, DEFAULT_LAYOUT, new Map());
        const wrong = modelMatrix(state, dataplane).filter((cell) => cell.reaches !== cell.expected);
        expect(wrong).toEqual([]);
      }),
      { seed: 1301, numRuns: 150 },
    );
  });

  it('answers unknown for every pair once a rule it does not model sits above the jump', () => {
    fc.assert(
      fc.property(arbitraryState, (state) => {
        const base = desiredDataplane(state, { apiIp: apiIpOf(state) }, DEFAULT_LAYOUT, new Map());
        const filter = base.rulesets[0]?.iptables.filter;
        const forward = filter?.chains.get('FORWARD');
        if (filter === undefined || forward === undefined) throw new Error('no FORWARD chain');
        const chains = new Map(filter.chains);
        chains.set('FORWARD', { ...forward, rules: ['-m set --match-set blocked src -j DROP', ...forward.rules] });
        const iptables = { ...base.rulesets[0]!.iptables, filter: { chains } };
        const dataplane: Dataplane = { ...base, rulesets: [{ name: 'live', iptables }] };
        for (const cell of modelMatrix(state, dataplane)) expect(cell.reaches).toBeNull();
      }),
      { seed: 1302, numRuns: 40 },
    );
  });
});
