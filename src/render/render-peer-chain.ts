import type { Cell, Peer } from '../model/desired-state.js';
import type { ChainModel } from '../model/iptables.js';
import { buildRule, host } from './build-rule.js';
import { peerChainName, peerTag } from '../model/chain-names.js';

/** The RFC 1918 ranges a peer without internet access may still reach (the seed's PRIVATE_NETS). */
export const PRIVATE_NETS: readonly string[] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];

const verdict = (allowed: boolean): string => (allowed ? 'ACCEPT' : 'DROP');

/**
 * PIC-PEER-<id>: the seed's per-peer rules, most specific first (services, other peers,
 * then the internet catch-all). The rules do not repeat `-s <ip>/32`: the chain is only
 * reached through PIC-FORWARD's jump, which already matched the source, and a source
 * written once cannot disagree with itself.
 */
export function renderPeerChain(cell: Cell, peer: Peer): ChainModel {
  const comment = peerTag(peer.ip);
  const rule = (dst: string | undefined, target: string): string => buildRule({ dst, comment, target });
  const rules = cell.services.map((service) =>
    rule(host(service.vip), verdict(peer.service_access.includes(service.name))),
  );
  rules.push(rule(cell.peer_subnet, verdict(peer.peer_access)));
  if (peer.internet_access) {
    rules.push(rule(undefined, 'ACCEPT'));
  } else {
    rules.push(...PRIVATE_NETS.map((net) => rule(net, 'ACCEPT')), rule(undefined, 'DROP'));
  }
  return { name: peerChainName(peer.ip), rules };
}
