import type { ObservedIptables } from './iptables.js';
import type { ObservedAddress, ObservedPolicyRule, ObservedRoute } from './network.js';

/**
 * One part of the live state, or why it could not be read. `unread` marks a part this pass
 * chose not to read (verify re-reads only what apply wrote): no value, but no failure either.
 */
export type Observation<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string; readonly unread?: true };

/** A part left unread on purpose in this pass. */
export const NOT_READ: Observation<never> = { ok: false, error: 'not observed in this pass', unread: true };

export type IptablesBackend = 'legacy' | 'nft';

/** Which iptables backend holds the cell and what the other one holds (the kernel enforces both). */
export interface BackendView {
  /** The backend restored into with its own tool; null: the default `iptables-restore` (it is that backend, or the target has one). */
  readonly writes: IptablesBackend | null;
  /** The other backend's tables; null when there is none to read. */
  readonly other: { readonly name: IptablesBackend; readonly iptables: ObservedIptables } | null;
}

/** The live cell as observed in one pass. A part that could not be read is planned for no change. */
export interface ObservedCell {
  readonly iptables: Observation<ObservedIptables>;
  readonly policyRules: Observation<readonly ObservedPolicyRule[]>;
  readonly routes: Observation<readonly ObservedRoute[]>;
  readonly addresses: Observation<readonly ObservedAddress[]>;
  /** null when the file does not exist yet. */
  readonly corefile: Observation<string | null>;
  /** Where `iptables` was read from (absent: a single backend, as a saved dump). */
  readonly backend?: BackendView;
}
