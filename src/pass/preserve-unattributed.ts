import { readableRules, type ChainModel, type IptablesModel, type ObservedIptables } from '../model/iptables.js';
import type { ObservedCell } from '../model/observed-cell.js';
import { OWNED_ROUTE_PROTOCOL } from '../model/network.js';
import type { RenderedCell } from '../model/rendered-cell.js';
import { ruleTarget } from '../model/iptables-rule.js';
import { CELL_CHAIN_PREFIX, FORWARD_CHAIN, PEER_CHAIN_PREFIX, UNKNOWN_PEERS_TAG } from '../model/chain-names.js';

/**
 * When a state file is broken and we have no earlier version of it, we cannot know which
 * peers or cell links it held. Their live rules must then stay as they are: every live
 * peer and cell chain the desired state does not name is kept, with its jump at its live
 * position, and so are the live policy rules and routes, and the live Corefile (its acls
 * and forwarding blocks may name them too). Deletion resumes once the file is fixed or removed.
 * The controller narrows this with keepLive to the chains a broken file could own (held-back.ts).
 */
export function preserveUnattributed(rendered: RenderedCell, observed: ObservedCell): RenderedCell {
  return keepLive(rendered, observed, () => true);
}

/**
 * The rendered target plus the live owned chains (absent from it) that `keep` accepts, their
 * jumps in place, the policy rules of kept peers, the routes of the tables those rules use,
 * and the live Corefile while anything is kept. Without a readable iptables nothing can be
 * attributed, so every live policy rule and route stays.
 */
export function keepLive(
  rendered: RenderedCell,
  observed: ObservedCell,
  keep: (chain: string) => boolean,
): RenderedCell {
  if (!observed.iptables.ok)
    return {
      ...rendered,
      policyRules: livePolicy(rendered, observed, () => true),
      routes: liveRoutes(rendered, observed, () => true),
      corefile: liveCorefileOr(rendered, observed),
    };
  const { iptables, kept } = keepLiveChains(rendered.iptables, observed.iptables.value, keep);
  if (kept.length === 0) return rendered;
  const keptIps = new Set(
    kept
      .filter((c) => c.startsWith(PEER_CHAIN_PREFIX))
      .map((c) => c.slice(PEER_CHAIN_PREFIX.length).replaceAll('-', '.')),
  );
  const policyRules = livePolicy(rendered, observed, (src) => keptIps.has(src));
  const tables = new Set(policyRules.map((r) => r.table));
  return {
    ...rendered,
    iptables,
    policyRules,
    routes: liveRoutes(rendered, observed, (table) => tables.has(table)),
    corefile: liveCorefileOr(rendered, observed),
  };
}

function livePolicy(
  rendered: RenderedCell,
  observed: ObservedCell,
  keep: (src: string) => boolean,
): RenderedCell['policyRules'] {
  if (!observed.policyRules.ok) return rendered.policyRules;
  return unionBy(
    rendered.policyRules,
    observed.policyRules.value
      .filter((r) => r.protocol === OWNED_ROUTE_PROTOCOL && keep(r.src))
      .map(({ priority, src, table, suppressPrefixlength }) => ({ priority, src, table, suppressPrefixlength })),
    (r) => `${r.priority} ${r.src} ${r.table} ${r.suppressPrefixlength}`,
  );
}

function liveRoutes(
  rendered: RenderedCell,
  observed: ObservedCell,
  keep: (table: string) => boolean,
): RenderedCell['routes'] {
  if (!observed.routes.ok) return rendered.routes;
  return unionBy(
    rendered.routes,
    observed.routes.value
      .filter((r) => r.protocol === OWNED_ROUTE_PROTOCOL && r.opaque === undefined && keep(r.table))
      .map(({ table, dst, gateway, dev }) => ({ table, dst, gateway, dev })),
    (r) => `${r.table} ${r.dst}`,
  );
}

/** The Corefile on disk, or the rendered one when there is none (or it cannot be read). */
export function liveCorefileOr(rendered: RenderedCell, observed: ObservedCell): string {
  return (observed.corefile.ok ? observed.corefile.value : null) ?? rendered.corefile;
}

function keepLiveChains(
  desired: IptablesModel,
  live: ObservedIptables,
  keep: (chain: string) => boolean,
): { iptables: IptablesModel; kept: string[] } {
  const named = new Set(desired.filter.chains.map((c) => c.name));
  const kept: ChainModel[] = [...live.filter.chains.values()]
    .filter(
      (c) =>
        (c.name.startsWith(PEER_CHAIN_PREFIX) || c.name.startsWith(CELL_CHAIN_PREFIX)) &&
        !named.has(c.name) &&
        keep(c.name),
    )
    .map((c) => ({ name: c.name, rules: readableRules(c.rules) }));
  if (kept.length === 0) return { iptables: desired, kept: [] };
  const keptNames = new Set(kept.map((c) => c.name));
  const liveForward = readableRules(live.filter.chains.get(FORWARD_CHAIN)?.rules ?? []);
  const keptJumps = new Set(liveForward.filter((r) => keptNames.has(ruleTarget(r) ?? '')));
  const chains = desired.filter.chains.map((chain) =>
    chain.name === FORWARD_CHAIN ? { name: chain.name, rules: mergeKept(chain.rules, liveForward, keptJumps) } : chain,
  );
  return {
    iptables: { ...desired, filter: { ...desired.filter, chains: [...chains, ...kept] } },
    kept: [...keptNames],
  };
}

/**
 * The desired rules with the kept live rules put back where they are live: each right after
 * the nearest rule above it that is desired too. So an unchanged chain plans no edit; the
 * unknown-peers drop stays last.
 */
function mergeKept(desired: readonly string[], live: readonly string[], kept: ReadonlySet<string>): string[] {
  const last = desired.at(-1);
  const drop = last !== undefined && last.includes(UNKNOWN_PEERS_TAG) ? last : null;
  const head = drop === null ? desired : desired.slice(0, -1);
  const wanted = new Set(head);
  const after = new Map<string | null, string[]>();
  let anchor: string | null = null;
  for (const rule of live) {
    if (kept.has(rule)) after.set(anchor, [...(after.get(anchor) ?? []), rule]);
    else if (wanted.has(rule)) anchor = rule;
  }
  return [
    ...(after.get(null) ?? []),
    ...head.flatMap((rule) => [rule, ...(after.get(rule) ?? [])]),
    ...(drop === null ? [] : [drop]),
  ];
}

function unionBy<T>(desired: readonly T[], live: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set(desired.map(key));
  return [...desired, ...live.filter((item) => !seen.has(key(item)))];
}
