/**
 * iptables as plain data.
 *
 * A rule is kept as its canonical text: exactly what `iptables-save` prints after
 * `-A <chain> ` (no counters). Render produces this form and the parser normalises
 * live dumps to it, so comparing two rules is comparing two strings.
 */

export type TableName = 'filter' | 'nat';
export const TABLES: readonly TableName[] = ['filter', 'nat'];

/** iptables refuses longer chain names (XT_EXTENSION_MAXNAMELEN - 1 for user chains). */
export const MAX_CHAIN_NAME_LENGTH = 28;
/** Every chain the controller owns starts with this; nothing else is ours. */
export const OWNED_CHAIN_PREFIX = 'PIC-';
/** Comment on the single rule in a built-in chain that jumps into our chain. */
export const JUMP_COMMENT = 'pic:jump';

export const BUILTIN_CHAINS: Readonly<Record<TableName, readonly string[]>> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
};

export interface ChainModel {
  readonly name: string;
  readonly rules: readonly string[];
}

/** The rule in a built-in chain that jumps into an owned chain; kept at position 1. */
export interface JumpRule {
  readonly chain: string;
  readonly rule: string;
}

export interface TableModel {
  /** Owned chains, in a deterministic order. */
  readonly chains: readonly ChainModel[];
  readonly jumps: readonly JumpRule[];
}

export type IptablesModel = Readonly<Record<TableName, TableModel>>;

/**
 * A live rule the parser could not read exactly (broken quoting, a quote that never closes).
 * Kept in its place, verbatim, so positions stay true; never compared, rewritten or deleted.
 */
export interface OpaqueRule {
  readonly kind: 'opaque';
  /** The line(s) as the dump printed them, after `-A <chain> `. */
  readonly text: string;
  readonly reason: string;
}

/** A live rule: its canonical text, or an opaque line every consumer must handle on its own. */
export type ObservedRule = string | OpaqueRule;

export function isOpaqueRule(rule: ObservedRule): rule is OpaqueRule {
  return typeof rule !== 'string';
}

/** The readable rules of a chain; the opaque ones are left out. */
export function readableRules(rules: readonly ObservedRule[]): string[] {
  return rules.filter((rule): rule is string => typeof rule === 'string');
}

export interface ObservedChain {
  readonly name: string;
  readonly builtin: boolean;
  /** Policy of a built-in chain (ACCEPT/DROP), null for user chains. */
  readonly policy: string | null;
  /** In dump order; an opaque rule keeps its position. */
  readonly rules: readonly ObservedRule[];
}

export interface ObservedTable {
  /** In dump order. */
  readonly chains: ReadonlyMap<string, ObservedChain>;
}

export interface ObservedIptables extends Readonly<Record<TableName, ObservedTable>> {
  /**
   * What the dump could not show: a table iptables-nft-save printed only as "incompatible" (it holds
   * native nftables rules). Absent or empty when the dump showed everything.
   */
  readonly blindSpots?: readonly string[];
}
