import type { ChainEdit } from '../model/plan.js';
import { matchSequences } from './diff-sequence.js';

/**
 * The shortest in-place edit script that turns the rules `from` into `to`.
 *
 * Hunks (runs between kept rules) are applied from the end of the chain backwards, so
 * the rules before a hunk are still untouched when it runs and its 1-based indexes are
 * simply the old positions. Within a hunk the old rules are deleted first, then the new
 * ones inserted in order.
 */
export function computeChainEdits(from: readonly string[], to: readonly string[]): ChainEdit[] {
  const hunks: Hunk[] = [];
  let i = 0;
  let j = 0;
  for (const [mi, mj] of [...matchSequences(from, to), [from.length, to.length] as const]) {
    if (mi > i || mj > j) hunks.push({ fromStart: i, fromEnd: mi, toStart: j, toEnd: mj });
    i = mi + 1;
    j = mj + 1;
  }
  const edits: ChainEdit[] = [];
  for (let h = hunks.length - 1; h >= 0; h--) {
    const hunk = hunks[h] as Hunk;
    const index = hunk.fromStart + 1;
    for (let k = hunk.fromStart; k < hunk.fromEnd; k++) edits.push({ op: 'delete', index, rule: from[k] as string });
    for (let k = hunk.toStart; k < hunk.toEnd; k++)
      edits.push({ op: 'insert', index: index + k - hunk.toStart, rule: to[k] as string });
  }
  return edits;
}

interface Hunk {
  readonly fromStart: number;
  readonly fromEnd: number;
  readonly toStart: number;
  readonly toEnd: number;
}
