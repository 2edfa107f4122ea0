import type { ChainModel, IptablesModel, ObservedIptables } from '../model/iptables.js';
import type { ObservedCell } from '../model/observed-cell.js';
import { OWNED_ROUTE_PROTOCOL } from '../model/network.js';
import type { RenderedCell } from '../model/rendered-cell.js';
import { ruleTarget } from '../model/iptables-rule.js';
import { CELL_CHAIN_PREFIX, FORWARD_CHAIN, PEER_CHAIN_PREFIX, UNKNOWN_PEERS_TAG } from '../render/chain-names.js';

/**
 * When a state file is broken and we have no earlier version of it, we cannot know which
 * peers or cell links it held. Their live rules must then stay as they are: every live
 * peer and cell chain the desired state does not name is kept, with its jump, and so are
 * the live policy rules and routes. Deletion resumes once the file is fixed or removed.
 */
export function preserveUnattributed(rendered: RenderedCell, observed: ObservedCell): RenderedCell {
  return {
    ...rendered,
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
          observed.routes.value.filter((r) => r.protocol === OWNED_ROUTE_PROTOCOL).map(({ table, dst, gateway, dev }) => ({ table, dst, gateway, dev })),
          (r) => `${r.table} ${r.dst}`,
        )
      : rendered.routes,
  };
}

function keepLiveChains(desired: IptablesModel, live: ObservedIptables): IptablesModel {
  const named = new Set(desired.filter.chains.map((c) => c.name));
  const kept: ChainModel[] = [...live.filter.chains.values()]
    .filter((c) => (c.name.startsWith(PEER_CHAIN_PREFIX) || c.name.startsWith(CELL_CHAIN_PREFIX)) && !named.has(c.name))
    .map((c) => ({ name: c.name, rules: c.rules }));
  if (kept.length === 0) return desired;
  const keptNames = new Set(kept.map((c) => c.name));
  const liveJumps = (live.filter.chains.get(FORWARD_CHAIN)?.rules ?? []).filter((r) => keptNames.has(ruleTarget(r) ?? ''));
  const chains = desired.filter.chains.flatMap((chain): ChainModel[] => {
    if (chain.name !== FORWARD_CHAIN) return [chain];
    // Kept jumps go before the unknown-peers drop, which must stay last.
    const last = chain.rules.at(-1);
    const dropLast = last !== undefined && last.includes(UNKNOWN_PEERS_TAG);
    const head = dropLast ? chain.rules.slice(0, -1) : chain.rules;
    return [{ name: chain.name, rules: [...head, ...liveJumps, ...(dropLast && last !== undefined ? [last] : [])] }];
  });
  return { ...desired, filter: { ...desired.filter, chains: [...chains, ...kept] } };
}

function unionBy<T>(desired: readonly T[], live: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set(desired.map(key));
  return [...desired, ...live.filter((item) => !seen.has(key(item)))];
}
