/**
 * The demo's one `explain`: a pair the state denies (a peer and a service it may not use),
 * answered by the packet model over the live rules of the wireguard namespace, as
 * `pic-reconciler explain` prints it.
 */
import { liveDataplane } from '../access/build-dataplane.js';
import { evaluateConnection } from '../access/evaluate-connection.js';
import { formatExplanationText } from '../access/format-explanation.js';
import { endpointContext, resolveQuery } from '../access/resolve-endpoints.js';
import { addressOn } from '../access/route-lookup.js';
import { resourceSources, ruleProvenance } from '../access/rule-provenance.js';
import type { LoadedState } from '../load/loaded-state.js';
import type { DesiredState } from '../model/desired-state.js';
import type { LayoutConfig } from '../model/facts.js';
import { renderCell } from '../render/render-cell.js';
import { nsRunOk } from '../testbed/netns.js';
import type { TestbedCell } from '../testbed/testbed-cell.js';

/** The first peer and a service it may not use, or null when every peer may use every service. */
export function deniedPair(state: DesiredState): { readonly from: string; readonly to: string } | null {
  for (const peer of state.peers) {
    const service = state.cell.services.find((s) => !peer.service_access.includes(s.name));
    if (service !== undefined) return { from: peer.name, to: service.name };
  }
  return null;
}

export async function explainDenied(
  loaded: LoadedState,
  cell: TestbedCell,
  layout: LayoutConfig,
  /** The `explain` command that prints the same answer, while the demo runs; null with --once. */
  command: (pair: { readonly from: string; readonly to: string }) => string | null,
): Promise<string | null> {
  const state = loaded.state;
  const pair = state === null ? null : deniedPair(state);
  if (state === null || pair === null) return null;
  const [iptablesSave, ipRule, ipRoute] = await Promise.all([
    nsRunOk(cell.wg, ['iptables-save']),
    nsRunOk(cell.wg, ['ip', '-4', '-j', 'rule']),
    nsRunOk(cell.wg, ['ip', '-4', '-j', 'route', 'show', 'table', 'all']),
  ]);
  const facts = { apiIp: cell.apiIp };
  const live = liveDataplane(
    { iptablesSave, ipRule, ipRoute },
    ruleProvenance(state, renderCell(state, facts, layout).iptables, resourceSources(loaded)),
  );
  if (!live.ok) return `explain: ${live.error}`;
  const dataplane = live.value;
  const query = resolveQuery(
    pair,
    endpointContext(state, layout, dataplane.routing, {
      wireguardAddress: addressOn(dataplane.routing, layout.wireguardInterface),
      apiIp: cell.apiIp,
    }),
  );
  if (!query.ok) return `explain: ${query.error}`;
  const result = evaluateConnection(dataplane, query.value.packet, query.value.intent);
  const text = formatExplanationText({
    result,
    fromLabel: query.value.fromLabel,
    toLabel: query.value.toLabel,
    rules: 'live',
  });
  const asked = command(pair);
  return `Why ${pair.from} cannot reach ${pair.to}${asked === null ? '' : ` (${asked})`}:\n${text}`;
}
