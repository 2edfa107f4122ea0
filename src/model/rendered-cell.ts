import type { IptablesModel } from './iptables.js';
import type { AddressSpec, PolicyRuleSpec, RouteSpec } from './network.js';

/** Everything a desired state implies for the live cell: the output of render. */
export interface RenderedCell {
  /** wireguard target: owned chains and jumps. */
  readonly iptables: IptablesModel;
  /** wireguard target: policy rules for peers routed via an exit cell. */
  readonly policyRules: readonly PolicyRuleSpec[];
  /** wireguard target: one default route per exit-cell table. */
  readonly routes: readonly RouteSpec[];
  /** The peers' subnet: only rules from one of its addresses can be the seed's legacy route_via rules. */
  readonly peerSubnet: string;
  /** caddy target: the service VIPs. */
  readonly addresses: readonly AddressSpec[];
  /** dns: the whole Corefile. */
  readonly corefile: string;
}
