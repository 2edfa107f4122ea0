import { MAX_CHAIN_NAME_LENGTH, OWNED_CHAIN_PREFIX } from './iptables.js';
import { fnv1a32Hex } from './hash.js';

/** The owned chains. Every name is at most MAX_CHAIN_NAME_LENGTH (28) characters. */
export const FORWARD_CHAIN = `${OWNED_CHAIN_PREFIX}FORWARD`;
export const PREROUTING_CHAIN = `${OWNED_CHAIN_PREFIX}PREROUTING`;
export const POSTROUTING_CHAIN = `${OWNED_CHAIN_PREFIX}POSTROUTING`;
export const PEER_CHAIN_PREFIX = `${OWNED_CHAIN_PREFIX}PEER-`;
export const CELL_CHAIN_PREFIX = `${OWNED_CHAIN_PREFIX}CELL-`;

/** `PIC-PEER-10-0-0-2`: the peer's IP with dashes (at most 24 characters). */
export function peerChainName(ip: string): string {
  return `${PEER_CHAIN_PREFIX}${ip.replaceAll('.', '-')}`;
}

const CELL_ID_ROOM = MAX_CHAIN_NAME_LENGTH - CELL_CHAIN_PREFIX.length; // 19

/**
 * `PIC-CELL-<name>` when the name fits; otherwise its first 10 characters, a dash and
 * 8 hex digits of its hash, so long names stay readable and distinct.
 */
export function cellChainName(name: string): string {
  if (name.length <= CELL_ID_ROOM) return `${CELL_CHAIN_PREFIX}${name}`;
  return `${CELL_CHAIN_PREFIX}${name.slice(0, CELL_ID_ROOM - 9)}-${fnv1a32Hex(name)}`;
}

/** The seed's comment tags, kept so operators' greps keep working. */
export function peerTag(ip: string): string {
  return `pic-peer-${ip.replaceAll('.', '-')}/32`;
}

export function cellTag(name: string): string {
  return `pic-cell-${name}`;
}

export const UNKNOWN_PEERS_TAG = 'pic-unknown-peers';
export const API_DNAT_TAG = 'pic-api-dnat';
export const API_MASQUERADE_TAG = 'pic-api-masquerade';
