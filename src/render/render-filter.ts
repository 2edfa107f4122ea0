import type { DesiredState } from '../model/desired-state.js';
import type { Facts, LayoutConfig } from '../model/facts.js';
import { JUMP_COMMENT, type TableModel } from '../model/iptables.js';
import { buildRule, host } from './build-rule.js';
import { cellChainName, cellTag, FORWARD_CHAIN, peerChainName, peerTag, UNKNOWN_PEERS_TAG } from './chain-names.js';
import { renderLinkChain } from './render-link-chain.js';
import { renderPeerChain } from './render-peer-chain.js';

/**
 * The filter table: FORWARD jumps to PIC-FORWARD, which dispatches each source to its
 * owner's chain (linked cells, then peers) and drops unknown peer-subnet sources.
 * Chains come in a fixed order: PIC-FORWARD, cell chains by link name, peer chains by IP
 * (the state keeps links and peers sorted that way).
 */
export function renderFilter(state: DesiredState, facts: Facts, layout: LayoutConfig): TableModel {
  const { cell, peers, links } = state;
  const dispatch = [
    ...links.map((link) =>
      buildRule({ src: link.vpn_subnet, comment: cellTag(link.name), target: cellChainName(link.name) }),
    ),
    ...peers.map((peer) =>
      buildRule({ src: host(peer.ip), comment: peerTag(peer.ip), target: peerChainName(peer.ip) }),
    ),
  ];
  if (cell.unknown_peers === 'drop') {
    dispatch.push(buildRule({ src: cell.peer_subnet, comment: UNKNOWN_PEERS_TAG, target: 'DROP' }));
  }
  return {
    chains: [
      { name: FORWARD_CHAIN, rules: dispatch },
      ...links.map((link) => renderLinkChain(cell, link, facts, layout)),
      ...peers.map((peer) => renderPeerChain(cell, peer)),
    ],
    jumps: [{ chain: 'FORWARD', rule: buildRule({ comment: JUMP_COMMENT, target: FORWARD_CHAIN }) }],
  };
}
