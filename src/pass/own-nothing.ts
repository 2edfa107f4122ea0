import type { ObservedCell } from '../model/observed-cell.js';
import type { RenderedCell } from '../model/rendered-cell.js';
import { liveCorefileOr } from './preserve-unattributed.js';

const NO_CHAINS = { chains: [], jumps: [] } as const;

/**
 * The target once an empty state folder has been confirmed (`--allow-mass-delete`): no owned
 * chains or jumps, no VIPs, no policy rules or routes. The Corefile is not ours to delete,
 * so the one on disk stays as it is (the rendered one only when there is none).
 */
export function ownNothing(rendered: RenderedCell, observed: ObservedCell): RenderedCell {
  return {
    iptables: { filter: NO_CHAINS, nat: NO_CHAINS },
    policyRules: [],
    routes: [],
    addresses: [],
    peerSubnet: rendered.peerSubnet,
    corefile: liveCorefileOr(rendered, observed),
  };
}
