import type { LayoutConfig } from '../model/facts.js';
import { JUMP_COMMENT, type TableName } from '../model/iptables.js';
import { ruleComment } from '../model/iptables-rule.js';
import type { IptablesAction } from '../model/plan.js';
import { legacySeedRuleReason } from '../plan/legacy-seed-rules.js';

/** One built-in chain's part of a rollback. */
export interface BuiltinRestore {
  readonly actions: readonly IptablesAction[];
  /** Set when the order cannot be restored by spec; nothing is planned for the chain then. */
  readonly unrestorable: string | null;
}

/** The rules of ours in a built-in chain: our jumps, and the seed's leftovers the take-over deletes. */
export function isOursInBuiltin(table: TableName, chain: string, rule: string, layout: LayoutConfig): boolean {
  return ruleComment(rule) === JUMP_COMMENT || legacySeedRuleReason(table, chain, rule, layout) !== null;
}

/**
 * Puts the rules of ours in one built-in chain (the `pic:jump` jumps, and the seed's leftovers an
 * apply may have deleted) back where the snapshot had them, leaving every other rule as it is now.
 *
 * Built-in chains are shared with Docker and wg-quick, so nothing here deletes by rule number:
 * our current rules go by spec (`-D FORWARD <rule>`, which removes the first copy). Rules the
 * snapshot had before the first foreign rule go in with `-I <chain> 1` after those deletions;
 * the others with `-I <chain> N`, N counted on the chain as this pass observed it (those inserts
 * run first in the transaction, so the spec deletions must then still hit our old copies: the
 * result is simulated, and a chain where it would not is reported instead of written).
 */
export function restoreBuiltinChain(
  table: TableName,
  chain: string,
  snapshot: readonly string[],
  current: readonly string[],
  layout: LayoutConfig,
): BuiltinRestore {
  const ours = (rule: string): boolean => isOursInBuiltin(table, chain, rule, layout);
  const foreign = current.filter((r) => !ours(r));
  const gaps = snapshotGaps(snapshot, new Set(foreign), ours);
  const target = [
    ...(gaps.get(null) ?? []),
    ...foreign.flatMap((f, i) => (firstIndex(foreign, f) === i ? [f, ...(gaps.get(f) ?? [])] : [f])),
  ];
  if (same(target, current)) return { actions: [], unrestorable: null };

  const reason = 'restored from the snapshot';
  // Inserts below the first foreign rule, at their place in the chain as observed (ours still in it).
  const middle: { index: number; rule: string }[] = [];
  const working = [...current];
  let seenForeign = 0;
  for (let i = 0; i < target.length; i++) {
    const rule = target[i] as string;
    if (!ours(rule)) {
      seenForeign++;
      continue;
    }
    if (seenForeign === 0) continue;
    // After the current chain's rules up to this foreign rule, and after ours that follow it there.
    const at = positionAfterForeign(working, seenForeign, ours);
    working.splice(at, 0, rule);
    middle.push({ index: at + 1, rule });
  }
  const firstForeign = target.findIndex((r) => !ours(r));
  const top = firstForeign < 0 ? target : target.slice(0, firstForeign);
  const deletes = current.filter(ours);

  const simulated = [...working];
  for (const rule of deletes) simulated.splice(simulated.indexOf(rule), 1);
  simulated.unshift(...top);
  if (!same(simulated, target))
    return {
      actions: [],
      unrestorable: `${table} ${chain}: the order of our rules cannot be restored by rule spec; left as it is`,
    };

  const actions: IptablesAction[] = [];
  if (middle.length > 0)
    actions.push({
      kind: 'update-chain',
      table,
      chain,
      edits: middle.map((m) => ({ op: 'insert', index: m.index, rule: m.rule })),
      reason,
    });
  for (const rule of deletes) actions.push({ kind: 'delete-rule', table, chain, rule, reason });
  for (const rule of [...top].reverse()) actions.push({ kind: 'insert-jump', table, chain, rule, reason });
  return { actions, unrestorable: null };
}

/** The snapshot's rules of ours, grouped by the foreign rule (still present) that precedes them; null: the top. */
function snapshotGaps(
  snapshot: readonly string[],
  present: ReadonlySet<string>,
  ours: (rule: string) => boolean,
): Map<string | null, string[]> {
  const gaps = new Map<string | null, string[]>();
  let anchor: string | null = null;
  for (const rule of snapshot) {
    if (!ours(rule)) {
      if (present.has(rule)) anchor = rule;
      continue;
    }
    gaps.set(anchor, [...(gaps.get(anchor) ?? []), rule]);
  }
  return gaps;
}

/** Index (0-based) just past the n-th foreign rule and the rules of ours right after it, in `chain`. */
function positionAfterForeign(chain: readonly string[], n: number, ours: (rule: string) => boolean): number {
  let count = 0;
  let i = 0;
  for (; i < chain.length; i++) {
    if (!ours(chain[i] as string)) {
      if (count === n) break;
      count++;
    }
  }
  return i;
}

function firstIndex(list: readonly string[], item: string): number {
  return list.indexOf(item);
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
