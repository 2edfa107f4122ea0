/**
 * Who reaches whom: the packet model over every (source, destination) pair of a cell. Rows
 * are every peer, every linked cell and an unknown address in peer_subnet; columns every
 * service, every peer, internet and api. The same pairs over the rendered rules are "what
 * the desired state implies", so a cell where the two differ is marked.
 */
import type { DesiredState } from '../model/desired-state.js';
import { formatIPv4, parseCidr } from '../model/ipv4.js';
import type { ConnectionResult, Dataplane, PathStep, Ruleset } from './access-types.js';
import { evaluateConnection } from './evaluate-connection.js';
import { resolveQuery, type EndpointContext } from './resolve-endpoints.js';

export interface MatrixAxes {
  readonly rows: readonly string[];
  readonly columns: readonly string[];
}

export interface MatrixCell {
  readonly from: string;
  readonly to: string;
  readonly reaches: boolean | null;
  /** The step that decided: the drop (first packet or reply), or the accept of the first packet. */
  readonly decidedBy: PathStep | null;
  readonly reason: string;
}

export interface AccessMatrix extends MatrixAxes {
  /** Row-major; a peer's own column is absent. */
  readonly cells: readonly MatrixCell[];
}

/** A cell of the live matrix beside what the desired state implies. */
export interface ComparedCell extends MatrixCell {
  readonly desired: boolean | null;
  readonly differs: boolean;
}

/** An address in peer_subnet that is no peer's and not the target's own: the highest host free. */
export function unknownPeerAddress(state: DesiredState): string | null {
  const cidr = parseCidr(state.cell.peer_subnet);
  if (cidr === null) return null;
  const used = new Set(state.peers.map((p) => p.ip));
  const size = 2 ** (32 - cidr.prefixlen);
  for (let offset = size - 2; offset >= 2; offset--) {
    const ip = formatIPv4(cidr.network + offset);
    if (!used.has(ip)) return ip;
  }
  return null;
}

export function matrixAxes(state: DesiredState): MatrixAxes {
  const unknown = unknownPeerAddress(state);
  return {
    rows: [
      ...state.peers.map((p) => p.name),
      ...state.links.map((l) => `cell:${l.name}`),
      ...(unknown === null ? [] : [unknown]),
    ],
    columns: [...state.cell.services.map((s) => s.name), ...state.peers.map((p) => p.name), 'internet', 'api'],
  };
}

/** The step that decided a connection: where it was dropped, else the first packet's accept. */
export function decidingStep(result: ConnectionResult): PathStep | null {
  if (result.first.verdict !== 'accept') return result.first.decidedBy;
  if (result.reply !== null && result.reply.verdict !== 'accept') return result.reply.decidedBy;
  return result.first.decidedBy;
}

/** One pair; null when it is a peer's own column. */
export function evaluatePair(dataplane: Dataplane, ctx: EndpointContext, from: string, to: string): MatrixCell | null {
  if (from === to) return null;
  const query = resolveQuery({ from, to }, ctx);
  if (!query.ok) return { from, to, reaches: null, decidedBy: null, reason: query.error };
  const result = evaluateConnection(dataplane, query.value.packet, query.value.intent);
  return { from, to, reaches: result.reaches, decidedBy: decidingStep(result), reason: result.reason };
}

export function computeMatrix(
  dataplane: Dataplane,
  ctx: EndpointContext,
  axes: MatrixAxes = matrixAxes(ctx.state),
): AccessMatrix {
  const cells: MatrixCell[] = [];
  for (const from of axes.rows) {
    for (const to of axes.columns) {
      const cell = evaluatePair(dataplane, ctx, from, to);
      if (cell !== null) cells.push(cell);
    }
  }
  return { ...axes, cells };
}

/** The live matrix, each cell beside the desired one (same axes, same order). */
export function compareMatrices(live: AccessMatrix, desired: AccessMatrix): ComparedCell[] {
  const wanted = new Map(desired.cells.map((c) => [`${c.from}\n${c.to}`, c.reaches]));
  return live.cells.map((cell) => {
    const want = wanted.get(`${cell.from}\n${cell.to}`) ?? null;
    return { ...cell, desired: want, differs: cell.reaches !== want };
  });
}

/** The desired rules judged on the live routing, so a difference is one of the firewall alone. */
export function withRulesets(dataplane: Dataplane, rulesets: readonly Ruleset[]): Dataplane {
  return { ...dataplane, rulesets };
}
