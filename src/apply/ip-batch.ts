import { OWNED_ROUTE_PROTOCOL, type PolicyRuleSpec, type RouteSpec } from '../model/network.js';
import type { AddressAction, RoutingAction } from '../model/plan.js';

/**
 * `ip -batch -` input for the address or routing actions of one target; null when
 * there is nothing to do, so no process starts.
 *
 * Order: address deletions (in reverse), address additions; policy-rule deletions, route deletions,
 * route additions, policy-rule additions. So a rule never points at a table whose route
 * is not there yet, and a changed route is deleted before its replacement is added.
 */
export function compileIpBatch(actions: readonly (AddressAction | RoutingAction)[]): string | null {
  const rank: Record<(AddressAction | RoutingAction)['kind'], number> = {
    'delete-address': 0,
    'add-address': 1,
    'delete-policy-rule': 2,
    'delete-route': 3,
    'add-route': 4,
    'add-policy-rule': 5,
  };
  // Address deletions go last-listed first: `ip addr` lists a subnet's primary address before its
  // secondaries, and deleting a primary takes its secondaries with it (promote_secondaries off),
  // after which their own `address del` lines would fail.
  const deletions = actions.filter((a) => a.kind === 'delete-address').reverse();
  const ordered = [...deletions, ...actions.filter((a) => a.kind !== 'delete-address')].sort((x, y) => rank[x.kind] - rank[y.kind]);
  return ordered.length === 0 ? null : `${ordered.map(batchLine).join('\n')}\n`;
}

function batchLine(action: AddressAction | RoutingAction): string {
  switch (action.kind) {
    case 'add-address':
    case 'delete-address': {
      const { address, prefixlen, label } = action.address;
      return `address ${action.kind === 'add-address' ? 'add' : 'del'} ${address}/${prefixlen} dev ${action.dev} label ${label}`;
    }
    case 'add-policy-rule':
      return `rule add ${policyRuleArgs(action.rule, OWNED_ROUTE_PROTOCOL)}`;
    case 'delete-policy-rule':
      return `rule del ${policyRuleArgs(action.rule, action.protocol === undefined ? OWNED_ROUTE_PROTOCOL : action.protocol)}`;
    case 'add-route':
      return `route replace ${routeArgs(action.route, OWNED_ROUTE_PROTOCOL)} onlink`;
    case 'delete-route':
      return `route del ${routeArgs(action.route, action.protocol === undefined ? OWNED_ROUTE_PROTOCOL : action.protocol)}`;
  }
}

/** A null protocol (a legacy entry that has none) is left out, so the kernel matches any. */
function policyRuleArgs(rule: PolicyRuleSpec, protocol: number | null): string {
  const suppress = rule.suppressPrefixlength === null ? '' : ` suppress_prefixlength ${rule.suppressPrefixlength}`;
  return `priority ${rule.priority} from ${rule.src} lookup ${rule.table}${suppress}${protocol === null ? '' : ` protocol ${protocol}`}`;
}

function routeArgs(route: RouteSpec, protocol: number | null): string {
  return `${route.dst} via ${route.gateway} dev ${route.dev} table ${route.table}${protocol === null ? '' : ` proto ${protocol}`}`;
}
