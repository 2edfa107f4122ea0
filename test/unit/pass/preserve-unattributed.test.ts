import { describe, expect, it } from 'vitest';
import { preserveUnattributed } from '../../../src/pass/preserve-unattributed.js';
import { DEFAULT_LAYOUT } from '../../../src/model/facts.js';
import { planCell } from '../../../src/plan/plan-cell.js';
import { FORWARD_CHAIN, peerChainName, UNKNOWN_PEERS_TAG } from '../../../src/model/chain-names.js';
import { buildState, EXAMPLE_STATE } from '../../helpers/build-state.js';
import { liveCell, render } from '../loop/live-cell.js';

/** EXAMPLE_STATE as if the files of `missing` peers could not be read and had no remembered version. */
function without(...missing: string[]) {
  return { ...EXAMPLE_STATE, peers: EXAMPLE_STATE.peers.filter((p) => !missing.includes(p.name)) };
}

const live = liveCell(render(EXAMPLE_STATE));
const bob = EXAMPLE_STATE.peers.find((p) => p.name === 'bob');
const carol = EXAMPLE_STATE.peers.find((p) => p.name === 'carol');

describe('preserve unattributed live rules', () => {
  it('keeps the live chains, jumps (in place), policy routes and Corefile of peers whose file is broken without a remembered version', () => {
    const adjusted = preserveUnattributed(render(without('bob', 'carol')), live);
    const plan = planCell(adjusted, live, DEFAULT_LAYOUT);
    expect(plan.actions).toEqual([]);
  });

  it('still applies the other resources’ changes, and keeps the unknown-peers drop last', () => {
    const alice = { ...EXAMPLE_STATE.peers[0], name: 'alice', ip: '10.0.0.2', internet_access: false };
    const state = buildState({
      cell: EXAMPLE_STATE.cell,
      peers: [alice, { name: 'frank', ip: '10.0.0.20' }],
      links: EXAMPLE_STATE.links,
    });
    const adjusted = preserveUnattributed(render(state), live);
    const plan = planCell(adjusted, live, DEFAULT_LAYOUT);
    const chains = plan.actions.map((a) => ('chain' in a ? `${a.kind} ${a.chain}` : a.kind));
    expect(chains).toContain(`update-chain ${peerChainName('10.0.0.2')}`);
    expect(chains).toContain(`create-chain ${peerChainName('10.0.0.20')}`);
    expect(chains.filter((c) => c.startsWith('delete-'))).toEqual([]);
    const forward = adjusted.iptables.filter.chains.find((c) => c.name === FORWARD_CHAIN)?.rules ?? [];
    expect(forward.at(-1)).toContain(UNKNOWN_PEERS_TAG);
    for (const peer of [bob, carol]) expect(forward.some((r) => r.includes(`-s ${peer?.ip}/32`))).toBe(true);
    // The routed peer's policy rules stay although nobody desires them now.
    expect(adjusted.policyRules.filter((r) => r.src === carol?.ip)).toHaveLength(2);
    expect(plan.actions.filter((a) => a.kind === 'delete-policy-rule' || a.kind === 'delete-route')).toEqual([]);
    // Its acls may name the unknown peers: the live Corefile stays until the file is fixed.
    expect(plan.actions.filter((a) => a.kind === 'write-corefile')).toEqual([]);
  });

  it('changes nothing when the live state could not be read', () => {
    const rendered = render(without('bob'));
    const unread = { ok: false as const, error: 'unreachable' };
    const blind = { ...live, iptables: unread, policyRules: unread, routes: unread, corefile: unread };
    expect(preserveUnattributed(rendered, blind)).toEqual(rendered);
  });
});
