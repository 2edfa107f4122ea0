/**
 * The packet model's cost (issue 13): the full access matrix of a 100-peer cell (every pair;
 * `access` computes it once more over the rendered rules to mark differences) from one dump, and one
 * `explain` on a 5,000-peer dump once the dump is read. The dump is the rendered cell in
 * iptables-save form, parsed as a live one is; timing starts after it is parsed.
 */
import { computeMatrix, withRulesets } from '../access/access-matrix.js';
import type { Dataplane } from '../access/access-types.js';
import { assumedWireguardAddress, desiredDataplane } from '../access/build-dataplane.js';
import { evaluateConnection } from '../access/evaluate-connection.js';
import { assumedApiAddress } from '../access/evaluate-access-tests.js';
import { endpointContext, resolveQuery, type EndpointContext } from '../access/resolve-endpoints.js';
import type { DesiredState } from '../model/desired-state.js';
import type { LayoutConfig } from '../model/facts.js';
import { parseIptablesSave } from '../parse/parse-iptables-save.js';
import { formatIptablesSave } from '../render/format-iptables-save.js';
import { renderCell } from '../render/render-cell.js';
import type { AccessFigures } from './bench-result.js';
import { writeSyntheticState } from './load-synthetic.js';
import { summarize } from './stats.js';

interface Cell {
  readonly state: DesiredState;
  readonly live: Dataplane;
  readonly ctx: EndpointContext;
}

/** The cell's dump, parsed: its rendered tables as iptables-save prints them, on the routes the state implies. */
function readDump(state: DesiredState, layout: LayoutConfig): Cell {
  const apiIp = assumedApiAddress(state);
  const desired = desiredDataplane(state, { apiIp }, layout, new Map());
  const parsed = parseIptablesSave(formatIptablesSave(renderCell(state, { apiIp }, layout).iptables));
  if (!parsed.ok) throw new Error(`bench dump: ${parsed.error}`);
  const live = withRulesets(desired, [{ name: 'dump', iptables: parsed.value }]);
  const ctx = endpointContext(state, layout, live.routing, { wireguardAddress: assumedWireguardAddress(state), apiIp });
  return { state, live, ctx };
}

function timed(runs: number, work: () => void): number[] {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    work();
    samples.push(performance.now() - start);
  }
  return samples;
}

export async function measureAccess(layout: LayoutConfig, runs: number): Promise<AccessFigures> {
  const small = readDump((await writeSyntheticState({ peers: 100, links: 10 })).state, layout);
  let pairs = 0;
  const matrix = timed(runs, () => {
    pairs = computeMatrix(small.live, small.ctx).cells.length;
  });
  const large = readDump((await writeSyntheticState({ peers: 5000, links: 10 })).state, layout);
  // The last peer to a service: its chain is the furthest down every dispatch.
  const last = large.state.peers.at(-1)?.name ?? '';
  const query = resolveQuery({ from: last, to: large.state.cell.services[0]?.name ?? 'api' }, large.ctx);
  if (!query.ok) throw new Error(`bench explain: ${query.error}`);
  const explain = timed(runs * 5, () => void evaluateConnection(large.live, query.value.packet, query.value.intent));
  return { matrix100: summarize(matrix), matrixPairs: pairs, explain5000: summarize(explain) };
}
