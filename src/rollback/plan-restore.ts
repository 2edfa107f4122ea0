import type { LayoutConfig } from '../model/facts.js';
import { BUILTIN_CHAINS, OWNED_CHAIN_PREFIX, TABLES, type IptablesModel, type ObservedIptables } from '../model/iptables.js';
import { OWNED_ROUTE_PROTOCOL, type ObservedAddress, type ObservedPolicyRule, type ObservedRoute } from '../model/network.js';
import type { ObservedCell } from '../model/observed-cell.js';
import type { Action, Plan } from '../model/plan.js';
import { planAddresses } from '../plan/plan-addresses.js';
import { planCorefile } from '../plan/plan-corefile.js';
import { planIptables } from '../plan/plan-iptables.js';
import { planLegacySeedRouting } from '../plan/legacy-seed-routing.js';
import { planPolicyRules, planRoutes } from '../plan/plan-routing.js';
import { restoreBuiltinChain } from './restore-builtin-chain.js';

/** The live parts a snapshot holds, parsed. */
export interface SnapshotCell {
  readonly iptables: ObservedIptables;
  readonly policyRules: readonly ObservedPolicyRule[];
  readonly routes: readonly ObservedRoute[];
  readonly addresses: readonly ObservedAddress[];
  readonly corefile: string | null;
}

export interface RestorePlan {
  readonly plan: Plan;
  /** The Corefile did not exist before: the one there now goes. */
  readonly removeCorefile: boolean;
  /** What cannot be put back with our actions; reported, never guessed at. */
  readonly unrestorable: readonly string[];
}

/**
 * The actions that put back what the controller may have changed since the snapshot, and only
 * that (DESIGN §4: what it owns, plus the seed's leftovers it deletes): the `PIC-*` chains, our
 * jumps and the seed's rules in built-in chains, policy rules and routes of protocol 252, the
 * `<dev>:pic` addresses and the Corefile. Anything else changed in the window (another writer's
 * rule, route or address) is someone else's and stays as it is now.
 */
export function planRestore(snapshot: SnapshotCell, current: ObservedCell, peerSubnet: string, layout: LayoutConfig): RestorePlan {
  const actions: Action[] = [];
  const skipped: { part: string; error: string }[] = [];
  const unrestorable: string[] = [];
  let removeCorefile = false;

  if (current.iptables.ok) {
    const live = current.iptables.value;
    // Owned chains: the planner's own diff, with the snapshot's chains as the desired ones.
    const chains = planIptables(ownedChains(snapshot.iptables), live, layout).filter((a) => a.kind !== 'delete-rule' && a.kind !== 'insert-jump');
    const builtins = TABLES.flatMap((table) =>
      BUILTIN_CHAINS[table].flatMap((chain) => {
        const restored = restoreBuiltinChain(table, chain, snapshot.iptables[table].chains.get(chain)?.rules ?? [], live[table].chains.get(chain)?.rules ?? [], layout);
        if (restored.unrestorable !== null) unrestorable.push(restored.unrestorable);
        return restored.actions;
      }),
    );
    // Chains are created before and deleted after the built-in edits (compileRestoreInput's order).
    actions.push(...chains, ...builtins);
  } else skipped.push({ part: 'iptables', error: current.iptables.error });

  if (current.policyRules.ok) actions.push(...planPolicyRules(snapshot.policyRules.filter((r) => r.protocol === OWNED_ROUTE_PROTOCOL), current.policyRules.value));
  else skipped.push({ part: 'policy rules', error: current.policyRules.error });
  if (current.routes.ok) actions.push(...planRoutes(snapshot.routes.filter((r) => r.protocol === OWNED_ROUTE_PROTOCOL), current.routes.value));
  else skipped.push({ part: 'routes', error: current.routes.error });
  if (current.policyRules.ok && current.routes.ok) unrestorable.push(...missingLegacyRouting(snapshot, current.policyRules.value, current.routes.value, peerSubnet, layout));

  if (current.addresses.ok) actions.push(...planAddresses(snapshot.addresses.filter((a) => a.label === `${layout.caddyInterface}:pic`), current.addresses.value, layout.caddyInterface));
  else skipped.push({ part: 'addresses', error: current.addresses.error });

  if (!current.corefile.ok) skipped.push({ part: 'corefile', error: current.corefile.error });
  else if (snapshot.corefile === null) removeCorefile = current.corefile.value !== null;
  else actions.push(...planCorefile(snapshot.corefile, current.corefile.value));

  return { plan: { actions, skipped }, removeCorefile, unrestorable };
}

function ownedChains(iptables: ObservedIptables): IptablesModel {
  const table = (name: 'filter' | 'nat') => ({
    chains: [...iptables[name].chains.values()].filter((c) => !c.builtin && c.name.startsWith(OWNED_CHAIN_PREFIX)).map((c) => ({ name: c.name, rules: c.rules })),
    jumps: [],
  });
  return { filter: table('filter'), nat: table('nat') };
}

/**
 * The seed's route_via entries the take-over deleted carry no protocol of ours; `ip -batch` adds
 * only ours, so they are named for the operator to re-add rather than re-created with another protocol.
 */
function missingLegacyRouting(snapshot: SnapshotCell, rules: readonly ObservedPolicyRule[], routes: readonly ObservedRoute[], peerSubnet: string, layout: LayoutConfig): string[] {
  const legacy = planLegacySeedRouting(snapshot.policyRules, snapshot.routes, peerSubnet, layout);
  const ruleKeys = new Set(rules.map((r) => `${r.priority} ${r.src} ${r.table}`));
  const routeKeys = new Set(routes.map((r) => `${r.table} ${r.dst} ${r.gateway} ${r.dev}`));
  return legacy.flatMap((a) => {
    if (a.kind === 'delete-policy-rule' && !ruleKeys.has(`${a.rule.priority} ${a.rule.src} ${a.rule.table}`)) return [`policy rule priority ${a.rule.priority} from ${a.rule.src} lookup ${a.rule.table} (the seed's) is gone; not re-created`];
    if (a.kind === 'delete-route' && !routeKeys.has(`${a.route.table} ${a.route.dst} ${a.route.gateway} ${a.route.dev}`)) return [`route ${a.route.dst} via ${a.route.gateway} dev ${a.route.dev} table ${a.route.table} (the seed's) is gone; not re-created`];
    return [];
  });
}
