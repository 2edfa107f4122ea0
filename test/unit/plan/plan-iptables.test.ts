import { describe, expect, it } from 'vitest';
import { compileRestoreInput } from '../../../src/apply/restore-input.js';
import type { LayoutConfig } from '../../../src/model/facts.js';
import { planIptables } from '../../../src/plan/plan-iptables.js';
import { simulateRestore } from '../../helpers/simulate-restore.js';
import { desiredModel, jumpRule, observedTables, rulesOf } from './fixtures.js';

const JUMP = jumpRule('PIC-FORWARD');
const PEER2 = [
  '-d 172.20.0.21/32 -m comment --comment "pic-peer-10-0-0-2/32" -j ACCEPT',
  '-m comment --comment "pic-peer-10-0-0-2/32" -j ACCEPT',
];
const FORWARD = [
  '-s 10.0.0.2/32 -m comment --comment "pic-peer-10-0-0-2/32" -j PIC-PEER-10-0-0-2',
  '-s 10.0.0.0/24 -m comment --comment pic-unknown-peers -j DROP',
];
const desired = desiredModel({
  filter: { chains: { 'PIC-FORWARD': FORWARD, 'PIC-PEER-10-0-0-2': PEER2 }, jumps: [{ chain: 'FORWARD', rule: JUMP }] },
});
const converged = { 'PIC-FORWARD': FORWARD, 'PIC-PEER-10-0-0-2': PEER2 };
const DOCKER_FORWARD = ['-j DOCKER-USER', '-o docker0 -j DOCKER'];
const foreign = { 'DOCKER-USER': ['-j RETURN'], DOCKER: ['-d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j ACCEPT'] };

/** Plans, applies through the simulator, and checks that a second plan is empty. */
function converge(observed: ReturnType<typeof observedTables>, layout?: LayoutConfig) {
  const actions = planIptables(desired, observed, layout);
  const input = compileRestoreInput(actions);
  const after = input === null ? observed : simulateRestore(observed, input);
  expect(planIptables(desired, after, layout)).toEqual([]);
  return { actions, after };
}

describe('planIptables', () => {
  it('creates missing chains and the jump on an empty cell', () => {
    const actions = planIptables(desired, observedTables({}));
    expect(actions).toEqual([
      { kind: 'create-chain', table: 'filter', chain: 'PIC-FORWARD', rules: FORWARD, reason: 'chain missing' },
      { kind: 'create-chain', table: 'filter', chain: 'PIC-PEER-10-0-0-2', rules: PEER2, reason: 'chain missing' },
      { kind: 'insert-jump', table: 'filter', chain: 'FORWARD', rule: JUMP, reason: 'jump missing' },
    ]);
  });

  it('plans nothing when the cell matches, whatever foreign rules and chains exist', () => {
    const observed = observedTables({
      filter: {
        FORWARD: [JUMP, ...DOCKER_FORWARD],
        INPUT: ['-i lo -j ACCEPT'],
        ...foreign,
        ...converged,
        'MY-CHAIN': ['-j LOG'],
      },
      nat: { POSTROUTING: ['-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE'], DOCKER: ['-i docker0 -j RETURN'] },
    });
    expect(planIptables(desired, observed)).toEqual([]);
  });

  it('updates a changed chain with a minimal edit script', () => {
    const observed = observedTables({
      filter: {
        FORWARD: [JUMP],
        ...converged,
        'PIC-FORWARD': [FORWARD[0] as string, '-j ACCEPT', FORWARD[1] as string],
      },
    });
    expect(planIptables(desired, observed)).toEqual([
      {
        kind: 'update-chain',
        table: 'filter',
        chain: 'PIC-FORWARD',
        edits: [{ op: 'delete', index: 2, rule: '-j ACCEPT' }],
        reason: '1 rule differs (0 to insert, 1 to delete)',
      },
    ]);
  });

  it('deletes owned chains that are not desired, and their stale jumps, never foreign ones', () => {
    const observed = observedTables({
      filter: { FORWARD: [JUMP, ...DOCKER_FORWARD], ...converged, ...foreign, 'PIC-PEER-10-0-0-9': ['-j DROP'] },
      nat: { PREROUTING: [jumpRule('PIC-PREROUTING'), '-j DOCKER'], 'PIC-PREROUTING': ['-j RETURN'], DOCKER: [] },
    });
    const { actions, after } = converge(observed);
    expect(actions).toEqual([
      {
        kind: 'delete-chain',
        table: 'filter',
        chain: 'PIC-PEER-10-0-0-9',
        rules: ['-j DROP'],
        reason: 'chain not in desired state',
      },
      {
        kind: 'delete-rule',
        table: 'nat',
        chain: 'PREROUTING',
        rule: jumpRule('PIC-PREROUTING'),
        reason: 'jump not in desired state',
      },
      {
        kind: 'delete-chain',
        table: 'nat',
        chain: 'PIC-PREROUTING',
        rules: ['-j RETURN'],
        reason: 'chain not in desired state',
      },
    ]);
    expect(rulesOf(after, 'nat', 'PREROUTING')).toEqual(['-j DOCKER']);
    expect(rulesOf(after, 'filter', 'DOCKER')).toEqual(foreign.DOCKER);
    expect(rulesOf(after, 'filter', 'FORWARD')).toEqual([JUMP, ...DOCKER_FORWARD]);
  });

  it('moves the jump back to position 1 when rules were inserted above it', () => {
    const observed = observedTables({
      filter: { FORWARD: [...DOCKER_FORWARD, '-i eth1 -j DROP', JUMP], ...converged, ...foreign },
    });
    const { actions, after } = converge(observed);
    const reason = 'jump at position 4, expected 1 (rule inserted above ours)';
    expect(actions).toEqual([
      { kind: 'delete-rule', table: 'filter', chain: 'FORWARD', rule: JUMP, reason },
      { kind: 'insert-jump', table: 'filter', chain: 'FORWARD', rule: JUMP, reason },
    ]);
    expect(rulesOf(after, 'filter', 'FORWARD')).toEqual([JUMP, ...DOCKER_FORWARD, '-i eth1 -j DROP']);
  });

  it('deletes every copy of a duplicated jump and inserts one', () => {
    const observed = observedTables({ filter: { FORWARD: [JUMP, '-i eth1 -j DROP', JUMP, JUMP], ...converged } });
    const { actions, after } = converge(observed);
    expect(actions.filter((a) => a.kind === 'delete-rule')).toHaveLength(3);
    expect(actions.at(-1)).toMatchObject({
      kind: 'insert-jump',
      reason: 'jump duplicated (3 copies, at positions 1, 3, 4)',
    });
    expect(rulesOf(after, 'filter', 'FORWARD')).toEqual([JUMP, '-i eth1 -j DROP']);
  });

  it('puts several jumps of one built-in chain in their desired order', () => {
    const jumps = [
      { chain: 'FORWARD', rule: jumpRule('PIC-FORWARD') },
      { chain: 'FORWARD', rule: jumpRule('PIC-PEER-10-0-0-2') },
    ];
    const twoJumps = desiredModel({ filter: { chains: converged, jumps } });
    const observed = observedTables({
      filter: { FORWARD: [jumpRule('PIC-PEER-10-0-0-2'), '-j DROP', jumpRule('PIC-FORWARD')], ...converged },
    });
    const input = compileRestoreInput(planIptables(twoJumps, observed));
    const after = simulateRestore(observed, input ?? '');
    expect(rulesOf(after, 'filter', 'FORWARD')).toEqual([
      jumpRule('PIC-FORWARD'),
      jumpRule('PIC-PEER-10-0-0-2'),
      '-j DROP',
    ]);
    expect(planIptables(twoJumps, after)).toEqual([]);
  });

  it("removes the seed's rules in the same transaction that creates our chains", () => {
    const seedForward = [
      '-i wg0 -o eth0 -p tcp -m tcp --dport 3000 -j ACCEPT',
      '-s 10.1.0.0/24 -d 172.20.0.5/32 -p tcp -m tcp --dport 3000 -m comment --comment pic-cell-lyon -j ACCEPT',
      '-s 10.1.0.0/24 -d 172.20.0.21/32 -m comment --comment pic-cell-lyon -j DROP',
      '-s 10.1.0.0/24 -m comment --comment pic-cell-lyon -j DROP',
      '-s 10.0.0.2/32 -d 172.20.0.21/32 -m comment --comment "pic-peer-10-0-0-2/32" -j ACCEPT',
      '-s 10.0.0.2/32 -d 10.0.0.0/24 -m comment --comment "pic-peer-10-0-0-2/32" -j ACCEPT',
      '-s 10.0.0.2/32 -m comment --comment "pic-peer-10-0-0-2/32" -j ACCEPT',
      '-i wg0 -o eth0 -p tcp -m tcp --dport 3000 -j ACCEPT',
    ];
    const dnat = '-i wg0 -p tcp -m tcp --dport 3000 -j DNAT --to-destination 172.20.0.5:3000';
    const masquerade = '-d 172.20.0.5/32 -o eth0 -p tcp -m tcp --dport 3000 -j MASQUERADE';
    // Near misses that are not the seed's: another port, a tag outside FORWARD, a DNAT with a destination match.
    const keepForward = ['-i wg0 -o eth0 -p tcp -m tcp --dport 3001 -j ACCEPT', ...DOCKER_FORWARD];
    const keepPrerouting = [
      '-i wg0 -p tcp -m addrtype --dst-type LOCAL -m tcp --dport 3000 -j DNAT --to-destination 172.20.0.5:3000',
    ];
    const observed = observedTables({
      filter: {
        FORWARD: [...seedForward, ...keepForward],
        INPUT: ['-m comment --comment "pic-peer-10-0-0-2/32" -j ACCEPT'],
        ...foreign,
      },
      nat: { PREROUTING: [dnat, ...keepPrerouting, dnat], POSTROUTING: [masquerade] },
    });
    const { actions, after } = converge(observed);
    const deletes = actions.filter((a) => a.kind === 'delete-rule');
    expect(deletes).toHaveLength(seedForward.length + 3);
    expect(deletes.every((a) => a.reason.startsWith('legacy seed rule'))).toBe(true);
    expect(deletes[0]?.reason).toBe('legacy seed rule (port 3000 hole above every peer rule)');
    expect(deletes[1]?.reason).toBe('legacy seed rule (tag pic-cell-lyon)');
    // One transaction: chain creation and legacy deletions in the same input.
    expect(compileRestoreInput(actions)?.match(/^\*filter$/gm)).toHaveLength(1);
    expect(rulesOf(after, 'filter', 'FORWARD')).toEqual([JUMP, ...keepForward]);
    expect(rulesOf(after, 'filter', 'INPUT')).toEqual(observed.filter.chains.get('INPUT')?.rules);
    expect(rulesOf(after, 'nat', 'PREROUTING')).toEqual(keepPrerouting);
    expect(rulesOf(after, 'nat', 'POSTROUTING')).toEqual([]);
  });

  it("recognises the seed's shapes with the configured interfaces and port", () => {
    const layout: LayoutConfig = {
      wireguardInterface: 'wg1',
      egressInterface: 'ens3',
      caddyInterface: 'eth0',
      apiPort: 8080,
    };
    const observed = observedTables({
      filter: {
        FORWARD: [
          '-i wg1 -o ens3 -p tcp -m tcp --dport 8080 -j ACCEPT',
          '-i wg0 -o eth0 -p tcp -m tcp --dport 3000 -j ACCEPT',
        ],
      },
      nat: {
        PREROUTING: ['-i wg1 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.20.0.5:8080'],
        POSTROUTING: [
          '-d 172.20.0.5/32 -o ens3 -p tcp -m tcp --dport 8080 -j MASQUERADE',
          '-d 172.20.0.5/32 -o eth0 -p tcp -m tcp --dport 3000 -j MASQUERADE',
        ],
      },
    });
    const { after } = converge(observed, layout);
    expect(rulesOf(after, 'filter', 'FORWARD')).toEqual([JUMP, '-i wg0 -o eth0 -p tcp -m tcp --dport 3000 -j ACCEPT']);
    expect(rulesOf(after, 'nat', 'PREROUTING')).toEqual([]);
    expect(rulesOf(after, 'nat', 'POSTROUTING')).toEqual([
      '-d 172.20.0.5/32 -o eth0 -p tcp -m tcp --dport 3000 -j MASQUERADE',
    ]);
  });

  it('ignores desired chains and jumps that are not ours', () => {
    const bad = desiredModel({
      filter: {
        chains: { DOCKER: ['-j DROP'] },
        jumps: [
          { chain: 'FORWARD', rule: '-j DOCKER' },
          { chain: 'PIC-X', rule: JUMP },
        ],
      },
    });
    expect(planIptables(bad, observedTables({ filter: foreign }))).toEqual([]);
  });
});
