/**
 * Which state file and JSON pointer produced each owned rule. Built from the desired state
 * and the rendered chains; a live rule is matched to a rendered one by its text, so a rule
 * someone edited by hand has no source. Chains are indexed on first lookup only.
 */
import type { CellLink, DesiredState, Peer } from '../model/desired-state.js';
import type { IptablesModel, TableName } from '../model/iptables.js';
import { parseCidr } from '../model/ipv4.js';
import { cellChainName, FORWARD_CHAIN, peerChainName } from '../model/chain-names.js';
import type { RuleSource, SourceLookup } from './access-types.js';

/** `Kind/name` → where the resource sits in the state folder. */
export type ResourceSources = ReadonlyMap<string, RuleSource>;

/**
 * From a LoadedState: each resource's file, and its pointer where the load recorded it. A last
 * good resource kept for a broken file has none: one resource reads as the whole file, several as
 * an array in their order.
 */
export function resourceSources(loaded: {
  readonly fileResources: ReadonlyMap<string, readonly string[]>;
  readonly resourcePointers?: ReadonlyMap<string, string>;
}): ResourceSources {
  const sources = new Map<string, RuleSource>();
  for (const [file, keys] of loaded.fileResources) {
    keys.forEach((key, i) =>
      sources.set(key, { file, pointer: loaded.resourcePointers?.get(key) ?? (keys.length === 1 ? '' : `/${i}`) }),
    );
  }
  return sources;
}

/** A PIC-FORWARD source → the resource key and field its dispatch rule comes from. */
type Dispatch = readonly [string, string];

export function ruleProvenance(state: DesiredState, rendered: IptablesModel, resources: ResourceSources): SourceLookup {
  const peersByChain = new Map(state.peers.map((p) => [peerChainName(p.ip), p]));
  const linksByChain = new Map(state.links.map((l) => [cellChainName(l.name), l]));
  const renderedChains = new Map(rendered.filter.chains.map((c) => [c.name, c.rules]));
  const indexed = new Map<string, ReadonlyMap<string, RuleSource>>();
  const dispatch = new Map<string, Dispatch>([
    [state.cell.peer_subnet, [`Cell/${state.cell.name}`, '/unknown_peers']],
    ...state.links.map((l): [string, Dispatch] => [l.vpn_subnet, [`CellLink/${l.name}`, '/vpn_subnet']]),
    ...state.peers.map((p): [string, Dispatch] => [`${p.ip}/32`, [`Peer/${p.name}`, '/ip']]),
  ]);

  const at = (key: string, field: string | null): RuleSource | null => {
    const base = resources.get(key);
    return base === undefined || field === null ? null : { file: base.file, pointer: `${base.pointer}${field}` };
  };
  const index = (chain: string): ReadonlyMap<string, RuleSource> => {
    const known = indexed.get(chain);
    if (known !== undefined) return known;
    const map = new Map<string, RuleSource>();
    const rules = renderedChains.get(chain) ?? [];
    const peer = peersByChain.get(chain);
    const link = linksByChain.get(chain);
    const sourceOf: ((rule: string) => RuleSource | null) | null =
      chain === FORWARD_CHAIN
        ? (rule) => forwardSource(dispatch, rule, at)
        : peer !== undefined
          ? (rule) => at(`Peer/${peer.name}`, peerField(state, peer, rule))
          : link !== undefined
            ? (rule) => at(`CellLink/${link.name}`, linkField(state, link, rule))
            : null;
    for (const rule of sourceOf === null ? [] : rules) {
      const source = map.has(rule) ? null : (sourceOf?.(rule) ?? null);
      if (source !== null) map.set(rule, source);
    }
    indexed.set(chain, map);
    return map;
  };
  return (table: TableName, chain: string, rule: string) =>
    table === 'filter' ? (index(chain).get(rule) ?? null) : null;
}

function destination(rule: string): string | null {
  return / -d (\S+)/.exec(` ${rule}`)?.[1] ?? null;
}

/** PIC-FORWARD: a link's dispatch comes from its vpn_subnet, a peer's from its ip, the subnet drop from unknown_peers. */
function forwardSource(
  dispatch: ReadonlyMap<string, Dispatch>,
  rule: string,
  at: (key: string, field: string | null) => RuleSource | null,
): RuleSource | null {
  const src = / -s (\S+)/.exec(` ${rule}`)?.[1];
  const entry = src === undefined ? undefined : dispatch.get(src);
  if (entry === undefined) return null;
  return at(entry[0], entry[1]);
}

/** PIC-PEER-<id>: a service rule comes from service_access (its element when granted), the subnet rule from peer_access, the rest from internet_access. */
function peerField(state: DesiredState, peer: Peer, rule: string): string | null {
  const dst = destination(rule);
  const service = state.cell.services.find((s) => `${s.vip}/32` === dst);
  if (service !== undefined) {
    const i = peer.service_access.indexOf(service.name);
    return i < 0 ? '/service_access' : `/service_access/${i}`;
  }
  if (dst === state.cell.peer_subnet) return '/peer_access';
  return dst === null || parseCidr(dst) !== null ? '/internet_access' : null;
}

/** PIC-CELL-<id>: a service rule comes from permissions.inbound, `-o` from remote_exit_relay_active, the api rule and the final drop from the link itself. */
function linkField(state: DesiredState, link: CellLink, rule: string): string {
  if (rule.includes(' --dport ')) return '';
  const dst = destination(rule);
  const service = state.cell.services.find((s) => `${s.vip}/32` === dst);
  if (service !== undefined)
    return Object.hasOwn(link.permissions.inbound, service.name)
      ? `/permissions/inbound/${service.name}`
      : '/permissions/inbound';
  if (rule.startsWith('-o ')) return '/remote_exit_relay_active';
  return '';
}
