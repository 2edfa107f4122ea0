import type { LayoutConfig } from '../model/facts.js';
import type { Observation, ObservedCell } from '../model/observed-cell.js';
import type { Action, Plan } from '../model/plan.js';
import type { RenderedCell } from '../model/rendered-cell.js';
import { planAddresses } from './plan-addresses.js';
import { refuseTakenVips, type AddressClaims } from './plan-vip-claims.js';
import { planCorefile } from './plan-corefile.js';
import { planIptables, unreadableForeignRules, unreadableOwnedRules } from './plan-iptables.js';
import { planLegacySeedRouting } from './legacy-seed-routing.js';
import { opaqueRoutes, planPolicyRules, planRoutes } from './plan-routing.js';

const NO_CLAIMS: AddressClaims = { services: [], taken: [] };

/**
 * The whole plan for one cell. A part whose observation failed is listed in `skipped`
 * and planned for no change; the others are planned as usual. Actions come in a fixed
 * order: iptables, policy rules, routes, addresses, Corefile.
 */
export function planCell(
  desired: RenderedCell,
  observed: ObservedCell,
  layout: LayoutConfig,
  claims: AddressClaims = NO_CLAIMS,
): Plan {
  const actions: Action[] = [];
  const skipped: Plan['skipped'][number][] = [];
  const part = <T>(name: string, observation: Observation<T>, plan: (value: T) => readonly Action[]): void => {
    if (observation.ok) actions.push(...plan(observation.value));
    else
      skipped.push(
        observation.unread === true
          ? { part: name, error: observation.error, unread: true }
          : { part: name, error: observation.error },
      );
  };
  part('iptables', observed.iptables, (value) => planIptables(desired.iptables, value, layout));
  const warnings: string[] = [];
  if (observed.iptables.ok) {
    for (const { table, error } of unreadableOwnedRules(observed.iptables.value))
      skipped.push({ part: `iptables ${table}`, error });
    warnings.push(...unreadableForeignRules(observed.iptables.value));
  }
  part('policy rules', observed.policyRules, (value) => planPolicyRules(desired.policyRules, value));
  part('routes', observed.routes, (value) => planRoutes(desired.routes, value));
  if (observed.routes.ok) {
    const held = opaqueRoutes(desired.routes, observed.routes.value);
    skipped.push(...held.skipped);
    warnings.push(...held.warnings);
  }
  if (observed.policyRules.ok && observed.routes.ok)
    actions.push(
      ...planLegacySeedRouting(observed.policyRules.value, observed.routes.value, desired.peerSubnet, layout),
    );
  part('addresses', observed.addresses, (value) => {
    const vips = refuseTakenVips(desired.addresses, value, layout.caddyInterface, claims);
    skipped.push(...vips.errors);
    return planAddresses(
      vips.addresses,
      value.filter((a) => !vips.refused.has(a.address)),
      layout.caddyInterface,
    );
  });
  part('corefile', observed.corefile, (value) => planCorefile(desired.corefile, value));
  return warnings.length === 0 ? { actions, skipped } : { actions, skipped, warnings };
}
