import type { DesiredState } from '../model/desired-state.js';
import type { LayoutConfig } from '../model/facts.js';
import { fnv1a32 } from '../model/hash.js';
import type { PolicyRuleSpec, RouteSpec } from '../model/network.js';

/** Priorities of the two policy rules per routed peer; the main-table lookup must come first. */
export const SUPPRESS_RULE_PRIORITY = 10000;
export const EXIT_RULE_PRIORITY = 10001;

/** Table ids live in [1000, 1000 + TABLE_ID_SPAN): clear of the kernel's reserved 0 and 253-255. */
const TABLE_ID_BASE = 1000;
const TABLE_ID_SPAN = 1_000_000;

/**
 * A routing table id per exit link: derived from the name's hash, so it stays put
 * while the set of exit links does, with linear probing over the names in sorted order
 * so two links never share a table.
 */
export function assignRouteTables(linkNames: Iterable<string>): ReadonlyMap<string, number> {
  const tables = new Map<string, number>();
  const taken = new Set<number>();
  for (const name of [...new Set(linkNames)].sort()) {
    let slot = fnv1a32(name) % TABLE_ID_SPAN;
    while (taken.has(slot)) slot = (slot + 1) % TABLE_ID_SPAN;
    taken.add(slot);
    tables.set(name, TABLE_ID_BASE + slot);
  }
  return tables;
}

export interface RenderedRouting {
  readonly policyRules: readonly PolicyRuleSpec[];
  readonly routes: readonly RouteSpec[];
}

/**
 * Policy routing for peers whose internet exit is a linked cell. Each such peer first
 * looks up main with `suppress_prefixlength 0` (any route but the default wins, so local
 * services and other peers stay local), and only then its exit cell's table, whose
 * default route leads into the tunnel (DESIGN §5.7).
 */
export function renderRouting(state: DesiredState, layout: LayoutConfig): RenderedRouting {
  const routed = state.peers.flatMap((peer) => (peer.route_via === null ? [] : [{ ip: peer.ip, via: peer.route_via }]));
  const tables = assignRouteTables(routed.map((peer) => peer.via));
  const policyRules = routed.flatMap(({ ip, via }): PolicyRuleSpec[] => [
    { priority: SUPPRESS_RULE_PRIORITY, src: ip, table: 'main', suppressPrefixlength: 0 },
    { priority: EXIT_RULE_PRIORITY, src: ip, table: String(tables.get(via)), suppressPrefixlength: null },
  ]);
  const routes = state.links.flatMap((link): RouteSpec[] => {
    const table = tables.get(link.name);
    // Validation guarantees a wg_ip on every link a peer routes via.
    if (table === undefined || link.wg_ip === null) return [];
    return [{ table: String(table), dst: 'default', gateway: link.wg_ip, dev: layout.wireguardInterface }];
  });
  return { policyRules, routes };
}
