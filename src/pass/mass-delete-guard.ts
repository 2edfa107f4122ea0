import type { ObservedCell } from '../model/observed-cell.js';
import type { Plan } from '../model/plan.js';
import { OWNED_CHAIN_PREFIX, TABLES } from '../model/iptables.js';
import { PEER_CHAIN_PREFIX } from '../model/chain-names.js';

const CONFIRM = 'start with --allow-mass-delete to confirm';

/** Why an empty state folder is never applied on its own: it looks exactly like an unmounted volume. */
export const EMPTY_STATE_GUARD = `mass-delete guard: the state directory holds no state files (an unmounted volume?); applying it would remove every managed rule, address and route; ${CONFIRM}`;

/**
 * Argo CD's allowEmpty, for a firewall: a plan that would remove every peer, or more than
 * `maxShare` of the managed rules at once, is held back until a person confirms it
 * (`--allow-mass-delete`). An emptied folder or a truncated peers file looks exactly like that.
 * Returns why the plan is held back, or null.
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
  let createdPeers = 0;
  for (const action of plan.actions) {
    if (action.kind === 'delete-chain') {
      removedRules += action.rules.length;
      if (action.chain.startsWith(PEER_CHAIN_PREFIX)) removedPeers++;
    } else if (action.kind === 'create-chain') {
      if (action.chain.startsWith(PEER_CHAIN_PREFIX)) createdPeers++;
    } else if (action.kind === 'update-chain') {
      // Net removals: a rewritten rule is one delete and one insert.
      const deletes = action.edits.filter((e) => e.op === 'delete').length;
      removedRules += Math.max(0, deletes - (action.edits.length - deletes));
    }
  }
  // Every live peer goes and none comes: a re-addressed cell (new chains for new IPs) is not a mass delete.
  if (livePeers > 0 && removedPeers === livePeers && createdPeers === 0) {
    return `mass-delete guard: the plan removes every peer (${livePeers}); ${CONFIRM}`;
  }
  if (ownedRules > 0 && removedRules / ownedRules > maxShare) {
    return `mass-delete guard: the plan removes ${removedRules} of ${ownedRules} managed rules (more than ${Math.round(maxShare * 100)}%); ${CONFIRM}`;
  }
  return null;
}
