import { describe, expect, it } from 'vitest';
import type { Candidate } from '../../../src/load/blame-conflict.js';
import { checkResources } from '../../../src/load/check-resources.js';
import { resourceKey } from '../../../src/load/loaded-state.js';
import type { Cell, Peer } from '../../../src/model/desired-state.js';
import { EXAMPLE_STATE } from '../../helpers/build-state.js';

/** Blame between two resources, on candidates as validateState builds them (the rules at the top of check-resources.ts). */
const cell: Candidate<Cell> = {
  resource: EXAMPLE_STATE.cell,
  file: 'cell.json',
  pointer: '',
  origin: 'new',
  changed: false,
  before: EXAMPLE_STATE.cell,
  order: 0,
};

function peerCandidate(name: string, order: number, now: Partial<Peer>, before: Partial<Peer>): Candidate<Peer> {
  const base = EXAMPLE_STATE.peers.find((p) => p.name === name) as Peer;
  const resource = { ...base, ...now };
  const previous = { ...base, ...before };
  return {
    resource,
    file: `peers/${name}.json`,
    pointer: '',
    origin: 'new',
    changed: JSON.stringify(resource) !== JSON.stringify(previous),
    before: previous,
    order,
  };
}

const blamed = (peers: Candidate<Peer>[]): string[] =>
  checkResources(cell, peers, []).map((f) => `${resourceKey(f.blamed.resource)}: ${f.issue.pointer}`);

describe('blame rule 2b: neither conflicting field changed, then the resource that changed at all is blamed', () => {
  // Both peers already had 10.0.0.9 (their ip fields did not change); only one of them was edited.
  it('the earlier resource, edited elsewhere, is blamed over the later one that was not touched', () => {
    const alice = peerCandidate('alice', 1, { ip: '10.0.0.9', internet_access: false }, { ip: '10.0.0.9' });
    const bob = peerCandidate('bob', 2, { ip: '10.0.0.9' }, { ip: '10.0.0.9' });
    expect([alice.changed, bob.changed]).toEqual([true, false]);
    expect(blamed([alice, bob])).toEqual(['Peer/alice: /ip']);
  });

  it('the later resource, edited elsewhere, is blamed over the earlier one that was not touched', () => {
    const alice = peerCandidate('alice', 1, { ip: '10.0.0.9' }, { ip: '10.0.0.9' });
    const bob = peerCandidate('bob', 2, { ip: '10.0.0.9', peer_access: false }, { ip: '10.0.0.9' });
    expect(blamed([alice, bob])).toEqual(['Peer/bob: /ip']);
  });

  it('rule 2a comes first: the one whose ip changed is blamed, though the other was edited too', () => {
    const alice = peerCandidate('alice', 1, { ip: '10.0.0.9', internet_access: false }, { ip: '10.0.0.9' });
    const bob = peerCandidate('bob', 2, { ip: '10.0.0.9' }, { ip: '10.0.0.3' });
    expect(blamed([alice, bob])).toEqual(['Peer/bob: /ip']);
  });
});
