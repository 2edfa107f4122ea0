import type { LayoutConfig } from '../model/facts.js';
import { OWNED_ROUTE_PROTOCOL, type ObservedPolicyRule, type ObservedRoute } from '../model/network.js';
import type { RoutingAction } from '../model/plan.js';

const MAIN_TABLE = '254';
const REASON = 'legacy seed route_via entry (replaced by ours)';

/**
 * The seed's route_via left `from <peer ip> lookup <table>` and that table's
 * `default via <wg_ip> dev wg0`, neither with our protocol. Left in place they would keep
 * sending the peer's traffic to the exit cell after its route_via is removed, so the take-over
 * deletes exactly that shape: a single-address rule into a table whose only business is a
 * default route out of the WireGuard interface. Anything else not ours stays untouched.
 */
export function planLegacySeedRouting(rules: readonly ObservedPolicyRule[], routes: readonly ObservedRoute[], layout: LayoutConfig): RoutingAction[] {
  const exitRoutes = routes.filter(
    (r) => r.protocol !== OWNED_ROUTE_PROTOCOL && r.dst === 'default' && r.dev === layout.wireguardInterface && r.table !== MAIN_TABLE && /^\d+$/.test(r.table),
  );
  const exitTables = new Set(exitRoutes.map((r) => r.table));
  const legacyRules = rules.filter(
    (r) => r.protocol !== OWNED_ROUTE_PROTOCOL && r.suppressPrefixlength === null && !r.src.includes('/') && exitTables.has(r.table),
  );
  const usedTables = new Set(legacyRules.map((r) => r.table));
  return [
    ...legacyRules.map((r): RoutingAction => ({
      kind: 'delete-policy-rule',
      rule: { priority: r.priority, src: r.src, table: r.table, suppressPrefixlength: null },
      reason: REASON,
      protocol: r.protocol,
    })),
    ...exitRoutes
      .filter((r) => usedTables.has(r.table))
      .map((r): RoutingAction => ({
        kind: 'delete-route',
        route: { table: r.table, dst: r.dst, gateway: r.gateway, dev: r.dev },
        reason: REASON,
        protocol: r.protocol,
      })),
  ];
}
