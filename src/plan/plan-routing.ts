import {
  OWNED_ROUTE_PROTOCOL,
  type ObservedPolicyRule,
  type ObservedRoute,
  type PolicyRuleSpec,
  type RouteSpec,
} from '../model/network.js';
import type { RoutingAction } from '../model/plan.js';

/**
 * Policy rules and routes in the wireguard target. Only entries with protocol 252 are
 * ours; an entry is identified by all of its spec fields, so a changed field is a delete
 * of the old entry and an add of the new one.
 */
export function planPolicyRules(
  desired: readonly PolicyRuleSpec[],
  observed: readonly ObservedPolicyRule[],
): RoutingAction[] {
  const ours = observed.filter((r) => r.protocol === OWNED_ROUTE_PROTOCOL).map(policyRuleSpec);
  const { missing, extra } = setDifference(desired, ours, policyRuleKey);
  return [
    ...extra.map((rule): RoutingAction => ({
      kind: 'delete-policy-rule',
      rule,
      reason: 'policy rule not in desired state',
    })),
    ...missing.map((rule): RoutingAction => ({ kind: 'add-policy-rule', rule, reason: 'policy rule missing' })),
  ];
}

/**
 * A route of ours that is opaque (multipath, a metric, ...) is left as it is: no text we write
 * would delete exactly it, and a `route replace` would rewrite it. A desired route in its slot
 * (table and destination) is then not added either; opaqueRoutes says so.
 */
export function planRoutes(desired: readonly RouteSpec[], observed: readonly ObservedRoute[]): RoutingAction[] {
  const owned = observed.filter((r) => r.protocol === OWNED_ROUTE_PROTOCOL);
  const held = new Set(owned.filter((r) => unwritable(r) !== null).map(routeSlot));
  const ours = owned.filter((r) => unwritable(r) === null).map(routeSpec);
  const { missing, extra } = setDifference(
    desired.filter((r) => !held.has(routeSlot(r))),
    ours,
    routeKey,
  );
  return [
    ...extra.map((route): RoutingAction => ({ kind: 'delete-route', route, reason: 'route not in desired state' })),
    ...missing.map((route): RoutingAction => ({ kind: 'add-route', route, reason: 'route missing' })),
  ];
}

/** Our opaque routes: a warning each, and a skipped entry for each desired route they hold back. */
export function opaqueRoutes(
  desired: readonly RouteSpec[],
  observed: readonly ObservedRoute[],
): { skipped: { part: string; error: string }[]; warnings: string[] } {
  const opaque = observed.filter((r) => r.protocol === OWNED_ROUTE_PROTOCOL && unwritable(r) !== null);
  const slots = new Set(opaque.map(routeSlot));
  return {
    warnings: opaque.map(
      (r) =>
        `route ${r.dst} table ${r.table} (protocol ${OWNED_ROUTE_PROTOCOL}): ${unwritable(r) ?? ''}, which the plan cannot write exactly, so it is left as it is`,
    ),
    skipped: desired
      .filter((r) => slots.has(routeSlot(r)))
      .map((r) => ({
        part: `route ${r.dst} table ${r.table}`,
        error: `route ${r.dst} table ${r.table}: the live route there cannot be read exactly and is left as it is; route via ${r.gateway} not applied`,
      })),
  };
}

/** Why no `ip route` line we write would name this route exactly, or null. */
function unwritable(route: ObservedRoute): string | null {
  if (route.opaque !== undefined) return route.opaque;
  return route.gateway === '' || route.dev === '' ? 'a route without a gateway or a device' : null;
}

/** Where a route lives: one per table and destination, so `route replace` overwrites whatever holds the slot. */
export function routeSlot(route: RouteSpec): string {
  return `${route.table} ${route.dst}`;
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
function setDifference<T>(
  desired: readonly T[],
  observed: readonly T[],
  key: (item: T) => string,
): { missing: T[]; extra: T[] } {
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
