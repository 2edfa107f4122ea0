import type { LayoutConfig } from '../model/facts.js';
import { OWNED_CHAIN_PREFIX, readableRules, type ObservedIptables, type TableName } from '../model/iptables.js';
import { parseIPv4 } from '../model/ipv4.js';
import { legacySeedRuleReason } from '../plan/legacy-seed-rules.js';
import { parseSeedRule, type SeedRule } from './parse-seed-rule.js';

/**
 * The seed's rules in a live dump, grouped by owner: its per-peer rules carry the tag
 * `pic-peer-<ip with dashes>/32`, its per-cell rules `pic-cell-<name>`, all straight in
 * FORWARD. Its three untagged port-3000 rules are recognised by their exact shape.
 */
export interface SeedRules {
  /** Peer IP → its rules, in chain order. */
  readonly peers: ReadonlyMap<string, readonly SeedRule[]>;
  /** The name in the cell tag → its rules, in chain order. */
  readonly cells: ReadonlyMap<string, readonly SeedRule[]>;
  /** Tagged like the seed, but not a tag the seed writes. */
  readonly oddTags: readonly string[];
  /** The untagged port-3000 rules, with why the controller does not keep them. */
  readonly legacy: readonly {
    readonly table: TableName;
    readonly chain: string;
    readonly rule: string;
    readonly reason: string;
  }[];
  /** Chains the controller already owns: the cell was (partly) taken over before. */
  readonly ownedChains: readonly string[];
}

const PEER_TAG = /^pic-peer-([0-9]{1,3}(?:-[0-9]{1,3}){3})\/32$/;
const CELL_TAG = /^pic-cell-(.+)$/;
const SEED_TAG = /^pic-(peer|cell)-/;

export function readSeedRules(iptables: ObservedIptables, layout: LayoutConfig): SeedRules {
  const peers = new Map<string, SeedRule[]>();
  const cells = new Map<string, SeedRule[]>();
  const oddTags = new Set<string>();
  const legacy: SeedRules['legacy'][number][] = [];
  const push = (map: Map<string, SeedRule[]>, key: string, rule: SeedRule): void => {
    map.set(key, [...(map.get(key) ?? []), rule]);
  };
  for (const rule of readableRules(iptables.filter.chains.get('FORWARD')?.rules ?? [])) {
    const parsed = parseSeedRule(rule);
    const tag = parsed.comment;
    const peer = tag === null ? null : PEER_TAG.exec(tag);
    const cell = tag === null ? null : CELL_TAG.exec(tag);
    const peerIp = peer?.[1]?.replaceAll('-', '.');
    if (peerIp !== undefined && parseIPv4(peerIp) !== null) push(peers, peerIp, parsed);
    else if (cell?.[1] !== undefined) push(cells, cell[1], parsed);
    else if (tag !== null && SEED_TAG.test(tag)) oddTags.add(tag);
    else addLegacy(legacy, 'filter', 'FORWARD', rule, layout);
  }
  for (const [table, chain] of [
    ['nat', 'PREROUTING'],
    ['nat', 'POSTROUTING'],
  ] as const) {
    for (const rule of readableRules(iptables[table].chains.get(chain)?.rules ?? []))
      addLegacy(legacy, table, chain, rule, layout);
  }
  const ownedChains = [iptables.filter, iptables.nat].flatMap((table) =>
    [...table.chains.keys()].filter((name) => name.startsWith(OWNED_CHAIN_PREFIX)),
  );
  return { peers, cells, oddTags: [...oddTags], legacy, ownedChains };
}

function addLegacy(
  out: SeedRules['legacy'][number][],
  table: TableName,
  chain: string,
  rule: string,
  layout: LayoutConfig,
): void {
  const reason = legacySeedRuleReason(table, chain, rule, layout);
  if (reason !== null) out.push({ table, chain, rule, reason });
}
