import type { CellLink, DesiredState, Peer } from '../model/desired-state.js';

/**
 * Who should reach whom, from the desired state alone: an independent statement of the
 * semantics that the rendered firewall must produce with real packets.
 * A cell answers with the label of its listener, or null when the connection must fail.
 */
export type Expected = string | null;

export interface ExpectedRow {
  readonly source: string;
  readonly cells: Readonly<Record<string, Expected>>;
}

function peerRow(state: DesiredState, peer: Peer, apiKnown: boolean): Record<string, Expected> {
  const cells: Record<string, Expected> = {};
  for (const service of state.cell.services)
    cells[service.name] = peer.service_access.includes(service.name) ? 'caddy' : null;
  for (const other of state.peers) {
    if (other.name === peer.name) continue;
    // The answer travels back through the other peer's chain, so both need peer access.
    cells[`peer:${other.name}`] = peer.peer_access && other.peer_access ? other.name : null;
  }
  cells['internet'] = peer.internet_access ? (peer.route_via === null ? 'internet' : `exit:${peer.route_via}`) : null;
  // The api is a private address: every known peer reaches it through the DNAT.
  cells['api'] = apiKnown ? 'api' : null;
  return cells;
}

function linkRow(state: DesiredState, link: CellLink, apiKnown: boolean): Record<string, Expected> {
  const cells: Record<string, Expected> = {};
  for (const service of state.cell.services)
    cells[service.name] = link.permissions.inbound[service.name] === true ? 'caddy' : null;
  for (const peer of state.peers) cells[`peer:${peer.name}`] = null;
  cells['internet'] = link.remote_exit_relay_active ? 'internet' : null;
  cells['api'] = apiKnown ? 'api' : null;
  return cells;
}

function unknownRow(state: DesiredState, apiKnown: boolean): Record<string, Expected> {
  const open = state.cell.unknown_peers === 'accept';
  const cells: Record<string, Expected> = {};
  for (const service of state.cell.services) cells[service.name] = open ? 'caddy' : null;
  for (const peer of state.peers) cells[`peer:${peer.name}`] = open && peer.peer_access ? peer.name : null;
  cells['internet'] = open ? 'internet' : null;
  cells['api'] = open && apiKnown ? 'api' : null;
  return cells;
}

export function expectedReachability(state: DesiredState, apiKnown = true): ExpectedRow[] {
  return [
    ...state.peers.map((p) => ({ source: p.name, cells: peerRow(state, p, apiKnown) })),
    ...state.links.map((l) => ({ source: `cell:${l.name}`, cells: linkRow(state, l, apiKnown) })),
    { source: 'unknown', cells: unknownRow(state, apiKnown) },
  ];
}
