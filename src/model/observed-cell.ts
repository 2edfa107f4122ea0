import type { ObservedIptables } from './iptables.js';
import type { ObservedAddress, ObservedPolicyRule, ObservedRoute } from './network.js';

/** One part of the live state, or why it could not be read. */
export type Observation<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string };

/** The live cell as observed in one pass. A part that could not be read is planned for no change. */
export interface ObservedCell {
  readonly iptables: Observation<ObservedIptables>;
  readonly policyRules: Observation<readonly ObservedPolicyRule[]>;
  readonly routes: Observation<readonly ObservedRoute[]>;
  readonly addresses: Observation<readonly ObservedAddress[]>;
  /** null when the file does not exist yet. */
  readonly corefile: Observation<string | null>;
}
