import { readableRules, type ChainModel, type IptablesModel, type ObservedIptables } from '../model/iptables.js';
import type { ObservedCell } from '../model/observed-cell.js';
import { OWNED_ROUTE_PROTOCOL } from '../model/network.js';
import type { RenderedCell } from '../model/rendered-cell.js';
import { ruleTarget } from '../model/iptables-rule.js';
import { CELL_CHAIN_PREFIX, FORWARD_CHAIN, PEER_CHAIN_PREFIX, UNKNOWN_PEERS_TAG } from '../render/chain-names.js';

/**
 * When a state file is broken and we have no earlier version of it, we cannot know which
 * peers or cell links it held. Their live rules must then stay as they are: every live
 * peer and cell chain the desired state does not name is kept, with its jump at its live
 * position, and so are the live policy rules and routes, and the live Corefile (its acls
 * and forwarding blocks may name them too). Deletion resumes once the file is fixed or removed.
 */
export function preserveUnattributed(rendered: RenderedCell, observed: ObservedCell): RenderedCell {
  return {
    peerSubnet: rendered.peerSubnet,
    iptables: observed.iptables.ok ? keepLiveChains(rendered.iptables, observed.iptables.value) : rendered.iptables,
    policyRules: observed.policyRules.ok
      ? unionBy(
          rendered.policyRules,
          observed.policyRules.value.filter((r) => r.protocol === OWNED_ROUTE_PROTOCOL).map(({ priority, src, table, suppressPrefixlength }) => ({ priority, src, table, suppressPrefixlength })),
          (r) => `${r.priority} ${r.src} ${r.table} ${r.suppressPrefixlength}`,
        )
      : rendered.policyRules,
    routes: observed.routes.ok
      ? unionBy(
          rendered.routes,
          observed.routes.value.filter((r) => r.protocol === OWNED_ROUTE_PROTOCOL && r.opaque === undefined).map(({ table, dst, gateway, dev }) => ({ table, dst, gateway, dev })),
          (r) => `${r.table} ${r.dst}`,
        )
      : rendered.routes,
    addresses: rendered.addresses,
    corefile: liveCorefileOr(rendered, observed),
  };
}

/** The Corefile on disk, or the rendered one when there is none (or it cannot be read). */
export function liveCorefileOr(rendered: RenderedCell, observed: ObservedCell): string {
  return (observed.corefile.ok ? observed.corefile.value : null) ?? rendered.corefile;
}

function keepLiveChains(desired: IptablesModel, live: ObservedIptables): IptablesModel {
  const named = new Set(desired.filter.chains.map((c) => c.name));
  const kept: ChainModel[] = [...live.filter.chains.values()]
    .filter((c) => (c.name.startsWith(PEER_CHAIN_PREFIX) || c.name.startsWith(CELL_CHAIN_PREFIX)) && !named.has(c.name))
    .map((c) => ({ name: c.name, rules: readableRules(c.rules) }));
  if (kept.length === 0) return desired;
  const keptNames = new Set(kept.map((c) => c.name));
  const liveForward = readableRules(live.filter.chains.get(FORWARD_CHAIN)?.rules ?? []);
  const keptJumps = new Set(liveForward.filter((r) => keptNames.has(ruleTarget(r) ?? '')));
  const chains = desired.filter.chains.map((chain) => (chain.name === FORWARD_CHAIN ? { name: chain.name, rules: mergeKept(chain.rules, liveForward, keptJumps) } : chain));
  return { ...desired, filter: { ...desired.filter, chains: [...chains, ...kept] } };
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
  return [...(after.get(null) ?? []), ...head.flatMap((rule) => [rule, ...(after.get(rule) ?? [])]), ...(drop === null ? [] : [drop])];
}

function unionBy<T>(desired: readonly T[], live: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set(desired.map(key));
  return [...desired, ...live.filter((item) => !seen.has(key(item)))];
}
