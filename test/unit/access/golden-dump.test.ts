import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionResult, Dataplane, PathStep } from '../../../src/access/access-types.js';
import { liveDataplane } from '../../../src/access/build-dataplane.js';
import { evaluateConnection } from '../../../src/access/evaluate-connection.js';
import { resourceSources, ruleProvenance } from '../../../src/access/rule-provenance.js';
import { loadState } from '../../../src/load/load-state.js';
import { DEFAULT_LAYOUT } from '../../../src/model/facts.js';
import { renderCell } from '../../../src/render/render-cell.js';

/**
 * A saved cell (the repository's state/ rendered, with Docker's and wg-quick's rules around it,
 * FORWARD policy DROP, carol routed via paris) and what the model must answer for it.
 */
const DIR = join(import.meta.dirname, '../../fixtures/access/foreign-cell');
const read = (name: string): string => readFileSync(join(DIR, name), 'utf8');

let dataplane: Dataplane;

beforeAll(async () => {
  const loaded = await loadState(join(import.meta.dirname, '../../../state'));
  if (loaded.state === null) throw new Error('state/ is invalid');
  const rendered = renderCell(loaded.state, { apiIp: '172.20.0.3' }, DEFAULT_LAYOUT);
  const sourceOf = ruleProvenance(loaded.state, rendered.iptables, resourceSources(loaded));
  const live = liveDataplane(
    { iptablesSave: read('iptables-save.txt'), ipRule: read('ip-rule.json'), ipRoute: read('ip-route.json') },
    sourceOf,
  );
  if (!live.ok) throw new Error(live.error);
  dataplane = live.value;
});

const tcp = (src: string, dst: string, dport = 443, inIface = 'wg0') => ({
  src,
  dst,
  proto: 'tcp' as const,
  dport,
  sport: null,
  inIface,
});
const brief = (step: PathStep | null) =>
  step === null
    ? null
    : { chain: step.chain, index: step.index, owner: step.owner, source: step.source, action: step.action };
const chainsOf = (result: ConnectionResult) => result.first.path.map((s) => `${s.table}/${s.chain}#${s.index}`);

describe('the packet model on a saved cell with foreign rules', () => {
  it('bob reaches mail through his chain, by the service_access element that grants it', () => {
    const result = evaluateConnection(dataplane, tcp('10.0.0.3', '172.20.0.23'));
    expect(result.first.verdict).toBe('accept');
    expect(brief(result.first.decidedBy)).toEqual({
      chain: 'PIC-PEER-10-0-0-3',
      index: 3,
      owner: 'pic',
      source: { file: 'peers/bob.json', pointer: '/service_access/1' },
      action: 'ACCEPT',
    });
    // Index 0 is a chain's policy; Docker's MASQUERADE (POSTROUTING rule 2) rewrites the source on the way to the LAN.
    expect(chainsOf(result)).toEqual([
      'nat/PREROUTING#1',
      'nat/PREROUTING#0',
      'filter/FORWARD#1',
      'filter/PIC-FORWARD#4',
      'filter/PIC-PEER-10-0-0-3#3',
      'nat/POSTROUTING#1',
      'nat/POSTROUTING#2',
    ]);
    // The answer from the VIP comes back on eth0: no chain of ours matches, Docker's conntrack rule accepts it.
    expect(result.reply?.verdict).toBe('accept');
    expect(brief(result.reply?.decidedBy ?? null)).toMatchObject({
      chain: 'FORWARD',
      index: 6,
      owner: 'foreign',
      source: null,
    });
    expect(result.reaches).toBe(true);
    expect(result.first.egress).toEqual({ dev: 'eth0', via: null, table: 'main', rulePriority: 32766 });
  });

  it('bob does not reach files: his chain drops it, from service_access', () => {
    const result = evaluateConnection(dataplane, tcp('10.0.0.3', '172.20.0.22'));
    expect(result.reaches).toBe(false);
    expect(brief(result.first.decidedBy)).toEqual({
      chain: 'PIC-PEER-10-0-0-3',
      index: 2,
      owner: 'pic',
      source: { file: 'peers/bob.json', pointer: '/service_access' },
      action: 'DROP',
    });
  });

  it('bob has no internet: the last rule of his chain, from internet_access', () => {
    const result = evaluateConnection(dataplane, tcp('10.0.0.3', '203.0.113.10'));
    expect(brief(result.first.decidedBy)).toEqual({
      chain: 'PIC-PEER-10-0-0-3',
      index: 9,
      owner: 'pic',
      source: { file: 'peers/bob.json', pointer: '/internet_access' },
      action: 'DROP',
    });
  });

  it("alice reaches bob, but not carol: carol's own chain drops the reply (peer_access false)", () => {
    expect(evaluateConnection(dataplane, tcp('10.0.0.2', '10.0.0.3')).reaches).toBe(true);
    const result = evaluateConnection(dataplane, tcp('10.0.0.2', '10.0.0.4'));
    expect(result.first.verdict).toBe('accept');
    expect(result.reply?.verdict).toBe('drop');
    expect(brief(result.reply?.decidedBy ?? null)).toEqual({
      chain: 'PIC-PEER-10-0-0-4',
      index: 5,
      owner: 'pic',
      source: { file: 'peers/carol.json', pointer: '/peer_access' },
      action: 'DROP',
    });
    expect(result.reaches).toBe(false);
  });

  it('an unknown source in the peer subnet is dropped by the unknown_peers rule of cell.json', () => {
    const result = evaluateConnection(dataplane, tcp('10.0.0.200', '172.20.0.21'));
    expect(brief(result.first.decidedBy)).toEqual({
      chain: 'PIC-FORWARD',
      index: 8,
      owner: 'pic',
      source: { file: 'cell.json', pointer: '/unknown_peers' },
      action: 'DROP',
    });
  });

  it("paris reaches the api through the DNAT on the cell's own address, and the masquerade", () => {
    const result = evaluateConnection(dataplane, tcp('10.0.1.5', '10.0.0.1', 3000), {
      expectDestination: '172.20.0.3',
    });
    expect(result.reaches).toBe(true);
    expect(result.first.out).toMatchObject({ src: '172.20.0.2', dst: '172.20.0.3', dport: 3000 });
    expect(result.first.path.map((s) => s.action)).toEqual([
      'jump PIC-PREROUTING',
      'DNAT to 172.20.0.3:3000',
      'jump PIC-FORWARD',
      'jump PIC-CELL-paris',
      'ACCEPT',
      'jump PIC-POSTROUTING',
      'MASQUERADE',
    ]);
    expect(result.first.decidedBy?.source).toEqual({ file: 'cells/paris.json', pointer: '' });
  });

  it("a peer's connection to port 3000 elsewhere is not hijacked to the api", () => {
    const result = evaluateConnection(dataplane, tcp('10.0.0.2', '203.0.113.10', 3000));
    expect(result.first.out?.dst).toBe('203.0.113.10');
    expect(result.reaches).toBe(true);
  });

  it("carol's internet leaves through paris (table 830536); her services stay local", () => {
    const internet = evaluateConnection(dataplane, tcp('10.0.0.4', '203.0.113.10'));
    expect(internet.first.egress).toEqual({ dev: 'wg0', via: '10.0.1.1', table: '830536', rulePriority: 10001 });
    expect(internet.reaches).toBe(true);
    const files = evaluateConnection(dataplane, tcp('10.0.0.4', '172.20.0.22'));
    expect(files.first.egress).toMatchObject({ dev: 'eth0', table: 'main', rulePriority: 10000 });
    expect(files.reaches).toBe(true);
  });

  it("without the main-table rule, carol's packet to files goes into the tunnel and does not reach it", () => {
    const routing = { ...dataplane.routing, rules: dataplane.routing.rules.filter((r) => r.priority !== 10000) };
    const result = evaluateConnection({ ...dataplane, routing }, tcp('10.0.0.4', '172.20.0.22'));
    expect(result.first.verdict).toBe('accept');
    expect(result.reaches).toBe(false);
    expect(result.reason).toContain('172.20.0.22 lives on eth0');
  });

  it('a foreign rule the model does not know, reached by the packet, makes the answer unknown and names the rule', () => {
    const filter = dataplane.rulesets[0]!.iptables.filter;
    const forward = filter.chains.get('FORWARD')!;
    const chains = new Map(filter.chains).set('FORWARD', {
      ...forward,
      rules: ['-s 10.0.0.3/32 -m set --match-set blocked dst -j DROP', ...forward.rules],
    });
    const rulesets = [{ name: 'live', iptables: { ...dataplane.rulesets[0]!.iptables, filter: { chains } } }];
    const bob = evaluateConnection({ ...dataplane, rulesets }, tcp('10.0.0.3', '172.20.0.23'));
    expect(bob.first.verdict).toBe('unknown');
    expect(bob.reaches).toBeNull();
    expect(brief(bob.first.decidedBy)).toMatchObject({ chain: 'FORWARD', index: 1, owner: 'foreign' });
    expect(bob.reason).toContain('-m set');
    // A known match that fails decides: alice never reaches the unknown part.
    expect(evaluateConnection({ ...dataplane, rulesets }, tcp('10.0.0.2', '172.20.0.23')).reaches).toBe(true);
  });

  it('evaluates through two rulesets: a packet passes only if both accept', () => {
    const other = {
      name: 'legacy',
      iptables: {
        ...dataplane.rulesets[0]!.iptables,
        filter: {
          chains: new Map([
            ['FORWARD', { name: 'FORWARD', builtin: true, policy: 'ACCEPT', rules: ['-s 10.0.0.2/32 -j DROP'] }],
          ]),
        },
      },
    };
    const both = { ...dataplane, rulesets: [dataplane.rulesets[0]!, other] };
    const alice = evaluateConnection(both, tcp('10.0.0.2', '172.20.0.21'));
    expect(alice.reaches).toBe(false);
    expect(alice.first.decidedBy).toMatchObject({ ruleset: 'legacy', chain: 'FORWARD', index: 1 });
    expect(evaluateConnection(both, tcp('10.0.0.3', '172.20.0.21')).reaches).toBe(true);
  });
});
