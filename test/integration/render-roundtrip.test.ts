import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DesiredState } from '../../src/model/desired-state.js';
import { DEFAULT_LAYOUT, type Facts } from '../../src/model/facts.js';
import { TABLES, type IptablesModel, type TableName } from '../../src/model/iptables.js';
import { formatIptablesSave } from '../../src/render/format-iptables-save.js';
import { renderCell } from '../../src/render/render-cell.js';
import { arbitraryState } from '../helpers/arbitrary-state.js';
import { buildState, EXAMPLE_STATE } from '../helpers/build-state.js';
import { cleanupNamespaces, createNamespace, nsRunOk } from '../../src/testbed/netns.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';

/**
 * The rendered text must be exactly what iptables-save prints for it: restore the render
 * into a throwaway namespace and compare the dump, rule by rule, chain by chain.
 */
const check = requirePrerequisites(['root', 'ip', 'iptables']);

/** `-A` lines of one table of a dump, grouped by chain, in order. */
function rulesByChain(dump: string, table: TableName): Map<string, string[]> {
  const chains = new Map<string, string[]>();
  let current: string | null = null;
  for (const line of dump.split('\n')) {
    if (line.startsWith('*')) current = line.slice(1);
    if (current !== table || !line.startsWith('-A ')) continue;
    const [, chain = '', rule = ''] = /^-A (\S+) (.*)$/.exec(line) ?? [];
    chains.set(chain, [...(chains.get(chain) ?? []), rule]);
  }
  return chains;
}

function expectedByChain(model: IptablesModel, table: TableName): Map<string, string[]> {
  const chains = new Map<string, string[]>();
  for (const jump of model[table].jumps) chains.set(jump.chain, [...(chains.get(jump.chain) ?? []), jump.rule]);
  for (const chain of model[table].chains) if (chain.rules.length > 0) chains.set(chain.name, [...chain.rules]);
  return chains;
}

describe('rendered rules round-trip through real iptables-restore / iptables-save', () => {
  let ns = '';
  beforeAll(async () => {
    if (check.ok) ns = await createNamespace();
  });
  afterAll(async () => {
    if (check.ok) await cleanupNamespaces();
  });

  const cases: [string, DesiredState, Facts][] = [
    ['example', EXAMPLE_STATE, { apiIp: '172.20.0.3' }],
    ['example without api', EXAMPLE_STATE, { apiIp: null }],
    [
      'wide subnet, long link name',
      buildState({
        cell: { peer_subnet: '10.8.0.0/16', ip_range: '192.168.50.0/24', unknown_peers: 'accept' },
        peers: [{ ip: '10.8.200.17', internet_access: false }],
        links: [{ name: 'a-very-long-cell-link-name-x', vpn_subnet: '10.9.0.0/24', remote_exit_relay_active: true }],
      }),
      { apiIp: '192.168.50.3' },
    ],
    ...fc
      .sample(arbitraryState, { seed: 42, numRuns: 5 })
      .map((s, i): [string, DesiredState, Facts] => [`arbitrary ${i}`, s, { apiIp: '172.20.0.3' }]),
  ];

  it.each(cases)('%s', async (_name, state, facts) => {
    const { iptables } = renderCell(state, facts, DEFAULT_LAYOUT);
    // Without --noflush, each restore starts the tables from scratch.
    await nsRunOk(ns, ['iptables-restore'], formatIptablesSave(iptables));
    const dump = await nsRunOk(ns, ['iptables-save']);
    for (const table of TABLES) {
      expect(rulesByChain(dump, table)).toEqual(expectedByChain(iptables, table));
      for (const chain of iptables[table].chains) expect(dump).toContain(`:${chain.name} - [0:0]`);
    }
  });
});
