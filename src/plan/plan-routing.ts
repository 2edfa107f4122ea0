import { OWNED_ROUTE_PROTOCOL, type ObservedPolicyRule, type ObservedRoute, type PolicyRuleSpec, type RouteSpec } from '../model/network.js';
import type { RoutingAction } from '../model/plan.js';

/**
 * Policy rules and routes in the wireguard target. Only entries with protocol 252 are
 * ours; an entry is identified by all of its spec fields, so a changed field is a delete
 * of the old entry and an add of the new one.
 */
export function planPolicyRules(desired: readonly PolicyRuleSpec[], observed: readonly ObservedPolicyRule[]): RoutingAction[] {
  const ours = observed.filter((r) => r.protocol === OWNED_ROUTE_PROTOCOL).map(policyRuleSpec);
  const { missing, extra } = setDifference(desired, ours, policyRuleKey);
  return [
    ...extra.map((rule): RoutingAction => ({ kind: 'delete-policy-rule', rule, reason: 'policy rule not in desired state' })),
    ...missing.map((rule): RoutingAction => ({ kind: 'add-policy-rule', rule, reason: 'policy rule missing' })),
  ];
}

export function planRoutes(desired: readonly RouteSpec[], observed: readonly ObservedRoute[]): RoutingAction[] {
  const ours = observed.filter((r) => r.protocol === OWNED_ROUTE_PROTOCOL).map(routeSpec);
  const { missing, extra } = setDifference(desired, ours, routeKey);
  return [
    ...extra.map((route): RoutingAction => ({ kind: 'delete-route', route, reason: 'route not in desired state' })),
    ...missing.map((route): RoutingAction => ({ kind: 'add-route', route, reason: 'route missing' })),
  ];
}

function policyRuleSpec(rule: ObservedPolicyRule): PolicyRuleSpec {
  return { priority: rule.priority, src: rule.src, table: rule.table, suppressPrefixlength: rule.suppressPrefixlength };
}

function routeSpec(route: ObservedRoute): RouteSpec {
  return { table: route.table, dst: route.dst, gateway: route.gateway, dev: route.dev };
}

function policyRuleKey(rule: PolicyRuleSpec): string {
  return `${rule.priority} ${rule.src} ${rule.table} ${rule.suppressPrefixlength ?? '-'}`;
}

function routeKey(route: RouteSpec): string {
  return `${route.table} ${route.dst} ${route.gateway} ${route.dev}`;
}

/** Desired entries not observed, and observed entries not desired, each once, in input order. */
function setDifference<T>(desired: readonly T[], observed: readonly T[], key: (item: T) => string): { missing: T[]; extra: T[] } {
  const desiredKeys = new Set(desired.map(key));
  const observedKeys = new Set(observed.map(key));
  const unique = (items: readonly T[], skip: Set<string>): T[] => {
    const seen = new Set<string>();
    return items.filter((item) => {
      const k = key(item);
      if (skip.has(k) || seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  };
  return { missing: unique(desired, observedKeys), extra: unique(observed, desiredKeys) };
}
