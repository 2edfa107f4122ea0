import type { LayoutConfig } from '../model/facts.js';
import {
  BUILTIN_CHAINS,
  isOpaqueRule,
  OWNED_CHAIN_PREFIX,
  readableRules,
  TABLES,
  type IptablesModel,
  type ObservedIptables,
} from '../model/iptables.js';
import {
  OWNED_ROUTE_PROTOCOL,
  type ObservedAddress,
  type ObservedPolicyRule,
  type ObservedRoute,
} from '../model/network.js';
import type { ObservedCell } from '../model/observed-cell.js';
import type { Action, Plan } from '../model/plan.js';
import { planAddresses } from '../plan/plan-addresses.js';
import { planCorefile } from '../plan/plan-corefile.js';
import { planIptables } from '../plan/plan-iptables.js';
import { planLegacySeedRouting } from '../plan/legacy-seed-routing.js';
import { planPolicyRules, planRoutes, routeSlot } from '../plan/plan-routing.js';
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
  /** Where someone else's route or address now stands in the place of one of ours: theirs stays, ours is not put back. */
  readonly collisions: readonly string[];
}

/**
 * The actions that put back what the controller may have changed since the snapshot, and only
 * that (DESIGN §4: what it owns, plus the seed's leftovers it deletes): the `PIC-*` chains, our
 * jumps and the seed's rules in built-in chains, policy rules and routes of protocol 252, the
 * `<dev>:pic` addresses and the Corefile. Anything else changed in the window (another writer's
 * rule, route or address) is someone else's and stays as it is now.
 */
export function planRestore(
  snapshot: SnapshotCell,
  current: ObservedCell,
  peerSubnet: string,
  layout: LayoutConfig,
): RestorePlan {
  const actions: Action[] = [];
  const skipped: { part: string; error: string }[] = [];
  const unrestorable: string[] = [];
  const collisions: string[] = [];
  let removeCorefile = false;

  const owned = ownedChains(snapshot.iptables);
  // Without every owned chain of the snapshot read exactly, a restore could delete what it cannot write back.
  if (owned.unreadable.length > 0) skipped.push({ part: 'iptables', error: owned.unreadable.join('; ') });
  else if (current.iptables.ok) {
    const live = current.iptables.value;
    // Owned chains: the planner's own diff, with the snapshot's chains as the desired ones.
    const chains = planIptables(owned.model, live, layout).filter(
      (a) => a.kind !== 'delete-rule' && a.kind !== 'insert-jump',
    );
    const builtins = TABLES.flatMap((table) =>
      BUILTIN_CHAINS[table].flatMap((chain) => {
        const before = snapshot.iptables[table].chains.get(chain)?.rules ?? [];
        const now = live[table].chains.get(chain)?.rules ?? [];
        // Positions are counted against rules read exactly; a chain holding an unreadable one is left as it is.
        if (before.some(isOpaqueRule) || now.some(isOpaqueRule)) {
          unrestorable.push(`${table} ${chain}: holds a rule that cannot be read exactly; left as it is`);
          return [];
        }
        const restored = restoreBuiltinChain(table, chain, readableRules(before), readableRules(now), layout);
        if (restored.unrestorable !== null) unrestorable.push(restored.unrestorable);
        return restored.actions;
      }),
    );
    // Chains are created before and deleted after the built-in edits (compileRestoreInput's order).
    actions.push(...chains, ...builtins);
  } else skipped.push({ part: 'iptables', error: current.iptables.error });

  if (current.policyRules.ok)
    actions.push(
      ...planPolicyRules(
        snapshot.policyRules.filter((r) => r.protocol === OWNED_ROUTE_PROTOCOL),
        current.policyRules.value,
      ),
    );
  else skipped.push({ part: 'policy rules', error: current.policyRules.error });
  if (current.routes.ok) {
    const theirs = new Map(
      current.routes.value.filter((r) => r.protocol !== OWNED_ROUTE_PROTOCOL).map((r) => [routeSlot(r), r]),
    );
    for (const action of planRoutes(
      snapshot.routes.filter((r) => r.protocol === OWNED_ROUTE_PROTOCOL),
      current.routes.value,
    )) {
      const other = action.kind === 'add-route' ? theirs.get(routeSlot(action.route)) : undefined;
      if (action.kind === 'add-route' && other !== undefined)
        collisions.push(
          `route ${action.route.dst} table ${action.route.table}: someone else's route (protocol ${other.protocol}) now stands there; it stays, ours via ${action.route.gateway} is not put back`,
        );
      else actions.push(action);
    }
  } else skipped.push({ part: 'routes', error: current.routes.error });
  if (current.policyRules.ok && current.routes.ok)
    unrestorable.push(
      ...missingLegacyRouting(snapshot, current.policyRules.value, current.routes.value, peerSubnet, layout),
    );

  if (current.addresses.ok) {
    const ours = snapshot.addresses.filter((a) => a.label === `${layout.caddyInterface}:pic`);
    const theirs = new Set(
      current.addresses.value.filter((a) => a.label !== `${layout.caddyInterface}:pic`).map((a) => a.address),
    );
    for (const address of ours.filter((a) => theirs.has(a.address)))
      collisions.push(
        `address ${address.address} on ${layout.caddyInterface}: someone else's address now stands there; it stays, ours is not put back`,
      );
    actions.push(
      ...planAddresses(
        ours.filter((a) => !theirs.has(a.address)),
        current.addresses.value,
        layout.caddyInterface,
      ),
    );
  } else skipped.push({ part: 'addresses', error: current.addresses.error });

  if (!current.corefile.ok) skipped.push({ part: 'corefile', error: current.corefile.error });
  else if (snapshot.corefile === null) removeCorefile = current.corefile.value !== null;
  else actions.push(...planCorefile(snapshot.corefile, current.corefile.value));

  return { plan: { actions, skipped }, removeCorefile, unrestorable, collisions };
}

/** The snapshot's own chains as a desired model; one holding a rule that cannot be read exactly is named instead. */
function ownedChains(iptables: ObservedIptables): {
  readonly model: IptablesModel;
  readonly unreadable: readonly string[];
} {
  const unreadable: string[] = [];
  const table = (name: 'filter' | 'nat') => ({
    chains: [...iptables[name].chains.values()]
      .filter((c) => !c.builtin && c.name.startsWith(OWNED_CHAIN_PREFIX))
      .flatMap((c) => {
        if (!c.rules.some(isOpaqueRule)) return [{ name: c.name, rules: readableRules(c.rules) }];
        unreadable.push(`${name} ${c.name}: held a rule that cannot be read exactly; not restored`);
        return [];
      }),
    jumps: [],
  });
  return { model: { filter: table('filter'), nat: table('nat') }, unreadable };
}

/**
 * The seed's route_via entries the take-over deleted carry no protocol of ours; `ip -batch` adds
 * only ours, so they are named for the operator to re-add rather than re-created with another protocol.
 */
function missingLegacyRouting(
  snapshot: SnapshotCell,
  rules: readonly ObservedPolicyRule[],
  routes: readonly ObservedRoute[],
  peerSubnet: string,
  layout: LayoutConfig,
): string[] {
  const legacy = planLegacySeedRouting(snapshot.policyRules, snapshot.routes, peerSubnet, layout);
  const ruleKeys = new Set(rules.map((r) => `${r.priority} ${r.src} ${r.table}`));
  const routeKeys = new Set(routes.map((r) => `${r.table} ${r.dst} ${r.gateway} ${r.dev}`));
  return legacy.flatMap((a) => {
    if (a.kind === 'delete-policy-rule' && !ruleKeys.has(`${a.rule.priority} ${a.rule.src} ${a.rule.table}`))
      return [
        `policy rule priority ${a.rule.priority} from ${a.rule.src} lookup ${a.rule.table} (the seed's) is gone; not re-created`,
      ];
    if (
      a.kind === 'delete-route' &&
      !routeKeys.has(`${a.route.table} ${a.route.dst} ${a.route.gateway} ${a.route.dev}`)
    )
      return [
        `route ${a.route.dst} via ${a.route.gateway} dev ${a.route.dev} table ${a.route.table} (the seed's) is gone; not re-created`,
      ];
    return [];
  });
}
