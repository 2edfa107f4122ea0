import type { LayoutConfig } from '../model/facts.js';
import { cidrContains, parseCidr, parseIPv4 } from '../model/ipv4.js';
import { OWNED_ROUTE_PROTOCOL, type ObservedPolicyRule, type ObservedRoute } from '../model/network.js';
import type { RoutingAction } from '../model/plan.js';

const MAIN_TABLE = '254';
const REASON = 'legacy seed route_via entry (replaced by ours)';

/**
 * The seed's route_via left `from <peer ip> lookup <table>` and that table's
 * `default via <wg_ip> dev wg0`, neither with our protocol. Left in place they would keep
 * sending the peer's traffic to the exit cell after its route_via is removed, so the take-over
 * deletes exactly that shape: a rule from one address of the peer subnet into a table whose
 * only route is a default via a gateway out of the WireGuard interface. Anything else not ours
 * (an operator's rule, wg-quick's tables) stays untouched.
 */
export function planLegacySeedRouting(
  rules: readonly ObservedPolicyRule[],
  routes: readonly ObservedRoute[],
  peerSubnet: string,
  layout: LayoutConfig,
): RoutingAction[] {
  const subnet = parseCidr(peerSubnet);
  const routesPerTable = new Map<string, number>();
  for (const r of routes) routesPerTable.set(r.table, (routesPerTable.get(r.table) ?? 0) + 1);
  const exitRoutes = routes.filter(
    (r) =>
      r.protocol !== OWNED_ROUTE_PROTOCOL &&
      r.opaque === undefined &&
      r.dst === 'default' &&
      r.gateway !== '' &&
      r.dev === layout.wireguardInterface &&
      r.table !== MAIN_TABLE &&
      /^\d+$/.test(r.table) &&
      routesPerTable.get(r.table) === 1,
  );
  const exitTables = new Set(exitRoutes.map((r) => r.table));
  const inPeerSubnet = (src: string): boolean => {
    const address = parseIPv4(src);
    return subnet !== null && address !== null && cidrContains(subnet, address);
  };
  const legacyRules = rules.filter(
    (r) =>
      r.protocol !== OWNED_ROUTE_PROTOCOL &&
      r.suppressPrefixlength === null &&
      inPeerSubnet(r.src) &&
      exitTables.has(r.table),
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
