import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accessDivergence, accessMatrixView } from '../../../src/access/access-divergence.js';
import {
  compareMatrices,
  computeMatrix,
  matrixAxes,
  unknownPeerAddress,
  withRulesets,
} from '../../../src/access/access-matrix.js';
import { desiredDataplane, assumedWireguardAddress } from '../../../src/access/build-dataplane.js';
import { assumedApiAddress } from '../../../src/access/evaluate-access-tests.js';
import { formatMatrixText } from '../../../src/access/format-access-matrix.js';
import { parseAddress, tableMatch } from '../../../src/access/route-lookup.js';
import type { DesiredState } from '../../../src/model/desired-state.js';
import { DEFAULT_LAYOUT } from '../../../src/model/facts.js';
import type { ObservedIptables } from '../../../src/model/iptables.js';
import { chooseBackend, parseBackendsOutput } from '../../../src/parse/parse-iptables-backends.js';
import { parseIptablesSave } from '../../../src/parse/parse-iptables-save.js';
import { formatIptablesSave } from '../../../src/render/format-iptables-save.js';
import { renderCell } from '../../../src/render/render-cell.js';
import { arbitraryState } from '../../helpers/arbitrary-state.js';

function tables(text: string): ObservedIptables {
  const parsed = parseIptablesSave(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

/** The rendered tables, as a converged cell holds them, with `forward` rules put ahead of our jump. */
function liveTables(state: DesiredState, forward: readonly string[] = []): ObservedIptables {
  const text = formatIptablesSave(renderCell(state, { apiIp: assumedApiAddress(state) }, DEFAULT_LAYOUT).iptables);
  const withForeign = text.replace(
    /^\*filter\n/m,
    `*filter\n${forward.map((rule) => `-A FORWARD ${rule}`).join('\n')}${forward.length > 0 ? '\n' : ''}`,
  );
  return tables(withForeign);
}

const EMPTY = tables('');
const hasService = (state: DesiredState): boolean => state.cell.services.length > 0;

describe('access divergence (verify: does the live access match, not only the rule text?)', () => {
  it('finds none when only our rules are live, in either backend arrangement', () => {
    fc.assert(
      fc.property(arbitraryState, (state) => {
        const check = accessDivergence(state, { apiIp: null }, DEFAULT_LAYOUT, {
          ours: liveTables(state),
          other: { name: 'legacy', iptables: EMPTY },
          name: 'nft',
        });
        expect(check.diverged).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });

  it('names every pair a foreign DROP takes away, with that rule, whether it sits in our backend above the jump or in the other one', () => {
    fc.assert(
      fc.property(arbitraryState.filter(hasService), fc.boolean(), (state, inOther) => {
        const service = state.cell.services[0];
        if (service === undefined) return;
        const drop = `-d ${service.vip}/32 -j DROP`;
        const live = inOther
          ? {
              ours: liveTables(state),
              other: { name: 'legacy', iptables: tables(`*filter\n-A FORWARD ${drop}\nCOMMIT\n`) },
              name: 'nft',
            }
          : { ours: liveTables(state, [drop]), other: null, name: 'nft' };
        const check = accessDivergence(state, { apiIp: null }, DEFAULT_LAYOUT, live, 100_000);
        const allowed = [
          ...state.peers.filter((p) => p.service_access.includes(service.name)).map((p) => p.name),
          ...state.links.filter((l) => l.permissions.inbound[service.name] === true).map((l) => `cell:${l.name}`),
          ...(state.cell.unknown_peers === 'accept' ? [unknownPeerAddress(state)] : []),
        ].sort();
        expect(check.diverged.map((d) => d.from).sort()).toEqual(allowed);
        for (const d of check.diverged) {
          expect(d).toMatchObject({
            to: service.name,
            live: false,
            desired: true,
            decidedBy: {
              chain: 'FORWARD',
              index: 1,
              owner: 'foreign',
              rule: drop,
              ruleset: inOther ? 'legacy' : 'nft',
            },
          });
        }
        expect(check.checked).toBe(check.total);
      }),
      { numRuns: 40 },
    );
  });

  it('checks services, internet and api first when the budget is smaller than the matrix', () => {
    const state = fc.sample(
      arbitraryState.filter((s) => s.peers.length >= 3 && hasService(s)),
      { numRuns: 1, seed: 7 },
    )[0] as DesiredState;
    const check = accessDivergence(
      state,
      { apiIp: null },
      DEFAULT_LAYOUT,
      { ours: liveTables(state, ['-j DROP']), other: null, name: 'nft' },
      5,
    );
    expect(check.checked).toBe(5);
    expect(check.total).toBeGreaterThan(5);
    const peers = new Set(state.peers.map((p) => p.name));
    expect(check.diverged.every((d) => !peers.has(d.to))).toBe(true);
  });
});

describe('the access matrix and its text', () => {
  it('over the desired rules differs nowhere, and a differing cell is marked and names the rule (escaped)', () => {
    const state = fc.sample(
      arbitraryState.filter((s) => s.peers.length >= 2 && hasService(s)),
      { numRuns: 1, seed: 3 },
    )[0] as DesiredState;
    const apiIp = assumedApiAddress(state);
    const desired = desiredDataplane(state, { apiIp }, DEFAULT_LAYOUT, new Map());
    const ctx = {
      state,
      wireguardInterface: 'wg0',
      apiPort: DEFAULT_LAYOUT.apiPort,
      wireguardAddress: assumedWireguardAddress(state),
      apiIp,
      ifaceFor: (ip: string) => tableMatch(desired.routing, 'main', parseAddress(ip))?.dev || 'wg0',
    };
    const axes = matrixAxes(state);
    expect(axes.rows).toHaveLength(state.peers.length + state.links.length + 1);
    expect(axes.columns).toHaveLength(state.cell.services.length + state.peers.length + 2);
    const wanted = computeMatrix(desired, ctx);
    expect(compareMatrices(wanted, wanted).filter((c) => c.differs)).toEqual([]);
    const evil = withRulesets(desired, [
      { name: 'live', iptables: liveTables(state, ['-m comment --comment "\u001b[31mx" -j DROP']) },
    ]);
    const cells = compareMatrices(computeMatrix(evil, ctx), wanted);
    const text = formatMatrixText({ axes, cells, rules: 'live', rulesets: ['live'], otherBackend: null });
    expect(text).not.toContain('\u001b');
    // Every peer reaches the api in the desired state; the DROP takes that from each.
    expect(cells.filter((c) => c.differs && c.to === 'api').map((c) => c.from)).toEqual(
      expect.arrayContaining(state.peers.map((p) => p.name)),
    );
    expect(text).toContain('no!');
    expect(text).toContain('decided by live filter FORWARD rule 1 (foreign): -m comment --comment');
    expect(text).toContain('over the live rules (live)');
  });
});

describe('choosing the iptables backend as Felix does', () => {
  const jump = tables(
    '*filter\n:PIC-FORWARD - [0:0]\n-A FORWARD -m comment --comment pic:jump -j PIC-FORWARD\nCOMMIT\n',
  );
  const three = tables(
    '*filter\n-A INPUT -i lo -j ACCEPT\n-A INPUT -i lo -j ACCEPT\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n',
  );
  it('takes the one holding our jump, else the one with more rules, legacy on a tie, the default when both are empty', () => {
    expect(chooseBackend(jump, three, 'nft')).toBe('legacy');
    expect(chooseBackend(three, jump, 'legacy')).toBe('nft');
    expect(chooseBackend(EMPTY, three, 'legacy')).toBe('nft');
    expect(chooseBackend(three, three, 'nft')).toBe('legacy');
    expect(chooseBackend(EMPTY, EMPTY, 'nft')).toBe('nft');
    expect(chooseBackend(EMPTY, EMPTY, 'legacy')).toBe('legacy');
  });
  it('reads the two-backend output, and plain iptables-save as one backend', () => {
    const both = parseBackendsOutput(
      'netns:x',
      '# pic-reconciler: backend default iptables v1.8.9 (nf_tables)\n# pic-reconciler: backend legacy\n*filter\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n# pic-reconciler: backend nft\n',
    );
    expect(both.backend.writes).toBe('legacy');
    expect(both.backend.other?.name).toBe('nft');
    expect(both.iptables.ok && both.iptables.value.filter.chains.get('INPUT')?.rules).toEqual(['-i lo -j ACCEPT']);
    expect(parseBackendsOutput('netns:x', '*filter\nCOMMIT\n').backend).toEqual({ writes: null, other: null });
    const broken = parseBackendsOutput(
      'netns:x',
      '# pic-reconciler: backend default x\n# pic-reconciler: backend legacy\n*filter\n# pic-reconciler: backend nft\n',
    );
    expect(broken.iptables).toMatchObject({
      ok: false,
      error: expect.stringContaining('netns:x: iptables-legacy-save: '),
    });
  });
});

describe('the access matrix view (/status and the status page)', () => {
  it('marks exactly the pairs a foreign DROP in the other backend takes away, and names the rule', () => {
    fc.assert(
      fc.property(arbitraryState.filter(hasService), (state) => {
        const service = state.cell.services[0];
        if (service === undefined) return;
        const live = {
          ours: liveTables(state),
          other: { name: 'legacy', iptables: tables(`*filter\n-A FORWARD -d ${service.vip}/32 -j DROP\nCOMMIT\n`) },
          name: 'nft',
        };
        const view = accessMatrixView(state, { apiIp: null }, DEFAULT_LAYOUT, live, 100_000);
        if (view === null) throw new Error('no view');
        const check = accessDivergence(state, { apiIp: null }, DEFAULT_LAYOUT, live, 100_000);
        const marked = view.rows.flatMap((row, r) =>
          view.columns.flatMap((column, c) => (view.cells[r]?.[c]?.differs === true ? [`${row} → ${column}`] : [])),
        );
        expect(marked.sort()).toEqual(check.diverged.map((d) => `${d.from} → ${d.to}`).sort());
        for (const d of check.diverged) {
          const cell = view.cells[view.rows.indexOf(d.from)]?.[view.columns.indexOf(d.to)];
          expect(cell).toMatchObject({ reaches: false, differs: true, detail: 'filter FORWARD rule 1 (foreign)' });
        }
      }),
      { numRuns: 30 },
    );
  });

  it('has no mark when only our rules are live, and is not drawn for a cell with more pairs than its bound', () => {
    fc.assert(
      fc.property(arbitraryState, (state) => {
        const live = { ours: liveTables(state), other: null, name: 'nft' };
        const view = accessMatrixView(state, { apiIp: null }, DEFAULT_LAYOUT, live, 100_000);
        expect(view?.cells.flat().filter((cell) => cell.differs)).toEqual([]);
        expect(accessMatrixView(state, { apiIp: null }, DEFAULT_LAYOUT, live, 0)).toBeNull();
      }),
      { numRuns: 30 },
    );
  });
});
