import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LAYOUT } from '../../../src/model/facts.js';
import { canonicalRule, ruleComment, ruleTarget } from '../../../src/model/iptables-rule.js';
import { MAX_CHAIN_NAME_LENGTH, OWNED_CHAIN_PREFIX, TABLES } from '../../../src/model/iptables.js';
import { renderCell } from '../../../src/render/render-cell.js';
import { arbitraryState } from '../../helpers/arbitrary-state.js';
import { walkFilter } from './walk-filter.js';

const RUNS = { seed: 42, numRuns: 150 };
const facts = fc.constantFrom({ apiIp: '172.20.0.3' }, { apiIp: null });

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
