import type { TableName } from './iptables.js';
import type { AddressSpec, PolicyRuleSpec, RouteSpec } from './network.js';

/**
 * A plan is a list of typed actions, each with the reason it exists.
 * Pure data: printable (human or JSON) and compiled into dataplane input by apply.
 */

/** One step of an in-place chain edit. Indexes are 1-based and valid when the edits run in order. */
export type ChainEdit =
  | { readonly op: 'delete'; readonly index: number; readonly rule: string }
  | { readonly op: 'insert'; readonly index: number; readonly rule: string };

export type IptablesAction =
  | {
      readonly kind: 'create-chain';
      readonly table: TableName;
      readonly chain: string;
      readonly rules: readonly string[];
      readonly reason: string;
    }
  | {
      readonly kind: 'update-chain';
      readonly table: TableName;
      readonly chain: string;
      readonly edits: readonly ChainEdit[];
      readonly reason: string;
    }
  | {
      readonly kind: 'delete-chain';
      readonly table: TableName;
      readonly chain: string;
      readonly rules: readonly string[];
      readonly reason: string;
    }
  /** Insert a jump rule at position 1 of a built-in chain. */
  | {
      readonly kind: 'insert-jump';
      readonly table: TableName;
      readonly chain: string;
      readonly rule: string;
      readonly reason: string;
    }
  /** Delete one rule by its spec from a built-in chain: a misplaced jump, or a legacy rule of the seed. */
  | {
      readonly kind: 'delete-rule';
      readonly table: TableName;
      readonly chain: string;
      readonly rule: string;
      readonly reason: string;
    };

export type AddressAction =
  | { readonly kind: 'add-address'; readonly dev: string; readonly address: AddressSpec; readonly reason: string }
  | { readonly kind: 'delete-address'; readonly dev: string; readonly address: AddressSpec; readonly reason: string };

export type RoutingAction =
  | { readonly kind: 'add-policy-rule'; readonly rule: PolicyRuleSpec; readonly reason: string }
  /** `protocol` is set only for a legacy entry we did not create (the seed's route_via; null: none); ours carry 252. */
  | {
      readonly kind: 'delete-policy-rule';
      readonly rule: PolicyRuleSpec;
      readonly reason: string;
      readonly protocol?: number | null;
    }
  | { readonly kind: 'add-route'; readonly route: RouteSpec; readonly reason: string }
  | {
      readonly kind: 'delete-route';
      readonly route: RouteSpec;
      readonly reason: string;
      readonly protocol?: number | null;
    };

export interface CorefileAction {
  readonly kind: 'write-corefile';
  readonly text: string;
  /** The text on disk, null when there is no file yet. */
  readonly previous: string | null;
  readonly reason: string;
}

export type Action = IptablesAction | AddressAction | RoutingAction | CorefileAction;

/** Every action kind (metrics start a counter for each at zero); a type test holds it equal to `Action['kind']`. */
export const ACTION_KINDS = [
  'create-chain',
  'update-chain',
  'delete-chain',
  'insert-jump',
  'delete-rule',
  'add-address',
  'delete-address',
  'add-policy-rule',
  'delete-policy-rule',
  'add-route',
  'delete-route',
  'write-corefile',
] as const satisfies readonly Action['kind'][];

export interface Plan {
  readonly actions: readonly Action[];
  /** Parts of the cell that could not be observed, and so were not planned for; `unread`: not read on purpose. */
  readonly skipped: readonly { readonly part: string; readonly error: string; readonly unread?: true }[];
  /** Live entries not ours that cannot be read exactly, left as they are; absent when there are none. */
  readonly warnings?: readonly string[];
}
