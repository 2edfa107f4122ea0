import type { Cell, DesiredState, Peer } from '../model/desired-state.js';
import type { Facts, LayoutConfig } from '../model/facts.js';
import { JUMP_COMMENT, type ChainModel, type TableModel } from '../model/iptables.js';
import { buildRule, host } from './build-rule.js';
import {
  cellChainName,
  cellTag,
  FORWARD_CHAIN,
  peerChainName,
  peerTag,
  UNKNOWN_PEERS_TAG,
} from '../model/chain-names.js';
import { renderLinkChain } from './render-link-chain.js';
import { renderPeerChain } from './render-peer-chain.js';

interface RenderedPeer {
  readonly cell: Cell;
  readonly dispatch: string;
  readonly chain: ChainModel;
}

/**
 * A peer's rules depend only on the peer and the cell. The loader deep-freezes the state and
 * keeps unchanged resources by identity, so a frozen peer seen with the same cell object
 * renders to the same rules: remembered here, a reconcile after a one-peer change (or none)
 * renders one peer instead of thousands. Inputs that are not frozen are never remembered.
 */
const renderedPeers = new WeakMap<Peer, RenderedPeer>();

function isFrozenInput(cell: Cell, peer: Peer): boolean {
  return (
    Object.isFrozen(peer) &&
    Object.isFrozen(peer.service_access) &&
    Object.isFrozen(cell) &&
    Object.isFrozen(cell.services) &&
    cell.services.every(Object.isFrozen)
  );
}

function renderPeer(cell: Cell, peer: Peer): RenderedPeer {
  const known = renderedPeers.get(peer);
  if (known !== undefined && known.cell === cell) return known;
  const rendered = {
    cell,
    dispatch: buildRule({ src: host(peer.ip), comment: peerTag(peer.ip), target: peerChainName(peer.ip) }),
    chain: renderPeerChain(cell, peer),
  };
  if (isFrozenInput(cell, peer)) renderedPeers.set(peer, rendered);
  return rendered;
}

/**
 * The filter table: FORWARD jumps to PIC-FORWARD, which dispatches each source to its
 * owner's chain (linked cells, then peers) and drops unknown peer-subnet sources.
 * Chains come in a fixed order: PIC-FORWARD, cell chains by link name, peer chains by IP
 * (the state keeps links and peers sorted that way).
 */
export function renderFilter(state: DesiredState, facts: Facts, layout: LayoutConfig): TableModel {
  const { cell, peers, links } = state;
  const renderedPeerList = peers.map((peer) => renderPeer(cell, peer));
  const dispatch = [
    ...links.map((link) =>
      buildRule({ src: link.vpn_subnet, comment: cellTag(link.name), target: cellChainName(link.name) }),
    ),
    ...renderedPeerList.map((rendered) => rendered.dispatch),
  ];
  if (cell.unknown_peers === 'drop') {
    dispatch.push(buildRule({ src: cell.peer_subnet, comment: UNKNOWN_PEERS_TAG, target: 'DROP' }));
  }
  return {
    chains: [
      { name: FORWARD_CHAIN, rules: dispatch },
      ...links.map((link) => renderLinkChain(cell, link, facts, layout)),
      ...renderedPeerList.map((rendered) => rendered.chain),
    ],
    jumps: [{ chain: 'FORWARD', rule: buildRule({ comment: JUMP_COMMENT, target: FORWARD_CHAIN }) }],
  };
}
