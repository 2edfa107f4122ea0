import type { ObservedCell } from '../model/observed-cell.js';
import type { Plan } from '../model/plan.js';
import { OWNED_CHAIN_PREFIX, TABLES } from '../model/iptables.js';
import { PEER_CHAIN_PREFIX } from '../render/chain-names.js';

/**
 * Argo CD's allowEmpty, for a firewall: a plan that would remove every peer, or more than
 * `maxShare` of the managed rules at once, is held back until a person confirms it
 * (`--allow-mass-delete`). An unmounted volume or an emptied folder looks exactly like that.
 */
export function massDeleteGuard(plan: Plan, observed: ObservedCell, maxShare: number): string | null {
  if (!observed.iptables.ok) return null;
  const live = observed.iptables.value;
  let ownedRules = 0;
  let livePeers = 0;
  for (const table of TABLES) {
    for (const chain of live[table].chains.values()) {
      if (!chain.name.startsWith(OWNED_CHAIN_PREFIX)) continue;
      ownedRules += chain.rules.length;
      if (chain.name.startsWith(PEER_CHAIN_PREFIX)) livePeers++;
    }
  }
  let removedRules = 0;
  let removedPeers = 0;
  for (const action of plan.actions) {
    if (action.kind === 'delete-chain') {
      removedRules += action.rules.length;
      if (action.chain.startsWith(PEER_CHAIN_PREFIX)) removedPeers++;
    } else if (action.kind === 'update-chain') {
      removedRules += action.edits.filter((e) => e.op === 'delete').length - action.edits.filter((e) => e.op === 'insert').length;
    }
  }
  if (livePeers > 0 && removedPeers === livePeers) {
    return `mass-delete guard: the plan removes every peer (${livePeers}); start with --allow-mass-delete to confirm`;
  }
  if (ownedRules > 0 && removedRules / ownedRules > maxShare) {
    return `mass-delete guard: the plan removes ${removedRules} of ${ownedRules} managed rules (more than ${Math.round(maxShare * 100)}%); start with --allow-mass-delete to confirm`;
  }
  return null;
}
