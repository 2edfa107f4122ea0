import { describe, expect, it } from 'vitest';
import type { LoadedState } from '../../../src/load/loaded-state.js';
import { validateState } from '../../../src/load/validate-state.js';
import {
  accountFor,
  heldByFallbacks,
  holdBackUnresolved,
  holdersOf,
  NO_ACCOUNTING,
  type Accounting,
} from '../../../src/pass/held-back.js';
import type { DesiredState } from '../../../src/model/desired-state.js';
import { DEFAULT_LAYOUT } from '../../../src/model/facts.js';
import { planCell } from '../../../src/plan/plan-cell.js';
import { peerChainName } from '../../../src/model/chain-names.js';
import { CELL, link, peer, stateFiles } from '../load/helpers.js';
import { liveCell, render } from '../loop/live-cell.js';

const GOOD = {
  'cell.json': CELL,
  'cells/paris.json': link('paris', '10.0.1.0/24', { wg_ip: '10.0.1.1' }),
  'peers/alice.json': peer('alice', '10.0.0.2'),
  'peers/bob.json': peer('bob', '10.0.0.3', { route_via: 'paris' }),
  'peers/carol.json': peer('carol', '10.0.0.4'),
};
const BROKEN_FRANK = '{"kind":"Peer","name":"frank","ip":"10.0.0.20",}';

function load(files: Record<string, unknown>, previous?: LoadedState): LoadedState {
  return validateState(stateFiles(files), previous === undefined ? {} : { previous });
}

function without<T extends Record<string, unknown>>(record: T, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key)));
}

/** One pass as the controller runs it: the accounting after the load, then the adjusted plan against `live`. */
function pass(loaded: LoadedState, before: Accounting, live: DesiredState) {
  const accounting = accountFor(before, loaded);
  const hold = holdBackUnresolved(loaded, accounting);
  const observed = liveCell(render(live));
  const plan = planCell(hold.adjust(render(loaded.state as DesiredState), observed), observed, DEFAULT_LAYOUT);
  return { plan, held: hold.held(), accounting };
}

const deleted = (plan: ReturnType<typeof pass>['plan']) =>
  plan.actions.flatMap((a) =>
    a.kind === 'delete-chain' ? [a.chain] : a.kind === 'delete-policy-rule' ? [`rule ${a.rule.src}`] : [],
  );

describe('held-back deletions', () => {
  const first = load(GOOD);
  const live = first.state as DesiredState;
  const known = accountFor(NO_ACCOUNTING, first);

  it('a deleted valid file is enforced although an unrelated new file is broken', () => {
    const next = load({ ...without(GOOD, 'peers/bob.json'), 'peers/frank.json': BROKEN_FRANK }, first);
    expect(next.unresolvedFiles).toEqual(['peers/frank.json']);
    const { plan, held } = pass(next, known, live);
    expect(deleted(plan)).toEqual(expect.arrayContaining([peerChainName('10.0.0.3'), 'rule 10.0.0.3']));
    expect(held).toEqual([]);
  });

  it('with nothing remembered, a never-valid file holds the live chains no file accounts for, and only those', () => {
    const next = load({ ...without(GOOD, 'peers/bob.json'), 'peers/frank.json': BROKEN_FRANK });
    const { plan, held } = pass(next, accountFor(NO_ACCOUNTING, null), live);
    expect(deleted(plan)).toEqual([]);
    expect(held).toEqual([
      { file: 'peers/frank.json', reason: 'unattributed', resources: [peerChainName('10.0.0.3')] },
    ]);
  });

  it('a peer moved to another valid file, or whose file was deleted before, stays accounted for while a file stays broken', () => {
    // Pass 1: bob's file deleted while frank's is broken; pass 2 (the delete did not happen, e.g. apply failed) still knows bob.
    const second = load({ ...without(GOOD, 'peers/bob.json'), 'peers/frank.json': BROKEN_FRANK }, first);
    const one = pass(second, known, live);
    const third = load({ ...without(GOOD, 'peers/bob.json'), 'peers/frank.json': BROKEN_FRANK }, second);
    expect(deleted(pass(third, one.accounting, live).plan)).toContain(peerChainName('10.0.0.3'));
    // carol moved into alice's file: carol's chain is desired, nothing is held.
    const moved = load(
      {
        ...without(GOOD, 'peers/carol.json'),
        'peers/alice.json': [peer('alice', '10.0.0.2'), peer('carol', '10.0.0.4')],
        'peers/frank.json': BROKEN_FRANK,
      },
      first,
    );
    expect(pass(moved, known, live).held).toEqual([]);
  });

  it('a broken file that was valid keeps its own last good resources and is reported as holding them', () => {
    const next = load({ ...GOOD, 'peers/bob.json': '{"kind":' }, first);
    expect(heldByFallbacks(next)).toEqual([{ file: 'peers/bob.json', reason: 'last-good', resources: ['Peer/bob'] }]);
    expect(next.unresolvedFiles).toEqual([]);
  });

  it('an unresolved file with a history holds only its own chains; a never-valid one only what nobody accounts for', () => {
    const accounting: Accounting = {
      chains: new Map([
        ['PIC-PEER-10-0-0-3', { file: 'peers/bob.json', resource: 'Peer/bob' }],
        ['PIC-PEER-10-0-0-4', { file: 'peers/gone.json', resource: 'Peer/carol' }],
      ]),
      files: new Set(['peers/bob.json', 'peers/gone.json']),
    };
    const unresolved = ['peers/bob.json', 'peers/frank.json'];
    expect(holdersOf('PIC-PEER-10-0-0-3', unresolved, accounting)).toEqual({
      files: ['peers/bob.json'],
      reason: 'last-good',
    });
    expect(holdersOf('PIC-PEER-10-0-0-4', unresolved, accounting)).toEqual({ files: [], reason: 'last-good' });
    expect(holdersOf('PIC-PEER-10-0-0-9', unresolved, accounting)).toEqual({
      files: ['peers/frank.json'],
      reason: 'unattributed',
    });
    expect(holdersOf('PIC-PEER-10-0-0-9', ['peers/bob.json'], accounting)).toEqual({
      files: [],
      reason: 'unattributed',
    });
  });
});
