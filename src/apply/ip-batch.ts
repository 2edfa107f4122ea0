import { OWNED_ROUTE_PROTOCOL, type PolicyRuleSpec, type RouteSpec } from '../model/network.js';
import type { AddressAction, RoutingAction } from '../model/plan.js';

type IpAction = AddressAction | RoutingAction;

/** `ip -batch` input, and the actions each of its lines carries out (line n: `lines[n - 1]`). */
export interface IpBatch {
  readonly text: string;
  readonly lines: readonly (readonly IpAction[])[];
}

/**
 * `ip -batch -` input for the address or routing actions of one target; null when
 * there is nothing to do, so no process starts.
 *
 * Addresses: deletions first (an address cannot be added twice with another prefix), in
 * reverse: `ip addr` lists a subnet's primary before its secondaries, and deleting a primary
 * takes its secondaries with it (promote_secondaries off), after which their own lines would fail.
 * Routing is make-before-break: routes, then the rules that use them, and only then the old
 * rules and routes, so a peer routed via an exit cell never falls back to the main table while
 * its entries change. A `route replace` already swaps the route of its table and destination,
 * so a deletion of the same route is dropped, and carried out by the replace's line.
 */
export function compileIpBatch(actions: readonly IpAction[]): IpBatch | null {
  const rank: Record<IpAction['kind'], number> = {
    'delete-address': 0,
    'add-address': 1,
    'add-route': 2,
    'add-policy-rule': 3,
    'delete-policy-rule': 4,
    'delete-route': 5,
  };
  const replaced = new Set(actions.flatMap((a) => (a.kind === 'add-route' ? [routeSlot(a.route)] : [])));
  const kept = actions.filter((a) => !(a.kind === 'delete-route' && replaced.has(routeSlot(a.route))));
  const swapped = actions.filter((a) => a.kind === 'delete-route' && replaced.has(routeSlot(a.route)));
  const deletions = kept.filter((a) => a.kind === 'delete-address').reverse();
  const ordered = [...deletions, ...kept.filter((a) => a.kind !== 'delete-address')].sort(
    (x, y) => rank[x.kind] - rank[y.kind],
  );
  if (ordered.length === 0) return null;
  const lines = ordered.map((a) =>
    a.kind === 'add-route'
      ? [a, ...swapped.filter((d) => d.kind === 'delete-route' && routeSlot(d.route) === routeSlot(a.route))]
      : [a],
  );
  return { text: `${ordered.map(batchLine).join('\n')}\n`, lines };
}

/** What `route replace` replaces: the route of one table and destination. */
function routeSlot(route: RouteSpec): string {
  return `${route.table} ${route.dst}`;
}

function batchLine(action: IpAction): string {
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
