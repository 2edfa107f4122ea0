import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChainEdit } from '../../../src/model/plan.js';
import { computeChainEdits } from '../../../src/plan/chain-edits.js';
import { matchSequences } from '../../../src/plan/diff-sequence.js';

/** Applies an edit script as iptables would, refusing out-of-range indexes. */
function applyEdits(rules: readonly string[], edits: readonly ChainEdit[]): string[] {
  const result = [...rules];
  for (const edit of edits) {
    if (edit.op === 'delete') {
      if (edit.index < 1 || edit.index > result.length) throw new Error(`delete ${edit.index} of ${result.length}`);
      expect(result[edit.index - 1]).toBe(edit.rule);
      result.splice(edit.index - 1, 1);
    } else {
      if (edit.index < 1 || edit.index > result.length + 1) throw new Error(`insert ${edit.index} of ${result.length}`);
      result.splice(edit.index - 1, 0, edit.rule);
    }
  }
  return result;
}

/** Length of the longest common subsequence, by dynamic programming (the reference). */
function lcsLength(a: readonly string[], b: readonly string[]): number {
  let row = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    const next = [0];
    for (let j = 1; j <= b.length; j++)
      next[j] = x === b[j - 1] ? (row[j - 1] as number) + 1 : Math.max(row[j] as number, next[j - 1] as number);
    row = next;
  }
  return row[b.length] as number;
}

const rules = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `-s 10.${Math.floor(i / 256)}.${i % 256}.1/32 -j PIC-PEER-${i}`);

describe('computeChainEdits', () => {
  it('turns any chain into any other with a shortest script', () => {
    const alphabet = fc.constantFrom(
      '-j ACCEPT',
      '-j DROP',
      '-s 10.0.0.2/32 -j ACCEPT',
      '-d 172.20.0.21/32 -j DROP',
      '-j RETURN',
      '-o eth0 -j ACCEPT',
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 25 }), fc.array(alphabet, { maxLength: 25 }), (from, to) => {
        const edits = computeChainEdits(from, to);
        expect(applyEdits(from, edits)).toEqual(to);
        expect(edits.length).toBe(from.length + to.length - 2 * lcsLength(from, to));
      }),
      { seed: 42, numRuns: 1000 },
    );
  });

  it('returns matched pairs that are a common subsequence', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 40 }),
        fc.array(fc.constantFrom('a', 'b', 'c', 'e'), { maxLength: 40 }),
        (a, b) => {
          const pairs = matchSequences(a, b);
          pairs.forEach(([i, j], k) => {
            expect(a[i]).toBe(b[j]);
            const prev = pairs[k - 1];
            if (prev) expect(i > prev[0] && j > prev[1]).toBe(true);
          });
          expect(pairs.length).toBe(lcsLength(a, b));
        },
      ),
      { seed: 42, numRuns: 500 },
    );
  });

  it('is empty for equal chains', () => {
    expect(computeChainEdits(rules(50), rules(50))).toEqual([]);
  });

  it('inserts one rule into a 5,000-rule chain with one edit, in a few ms', () => {
    const from = rules(5000);
    const to = [...from.slice(0, 2500), '-s 10.0.0.250/32 -j DROP', ...from.slice(2500)];
    const start = performance.now();
    const edits = computeChainEdits(from, to);
    const elapsed = performance.now() - start;
    expect(edits).toEqual([{ op: 'insert', index: 2501, rule: '-s 10.0.0.250/32 -j DROP' }]);
    expect(elapsed).toBeLessThan(100);
  });

  it('changes one rule of a 5,000-rule chain with at most two edits', () => {
    const from = rules(5000);
    for (const at of [0, 1234, 4999]) {
      const to = from.map((r, i) => (i === at ? '-j DROP' : r));
      const edits = computeChainEdits(from, to);
      expect(edits).toEqual([
        { op: 'delete', index: at + 1, rule: from[at] },
        { op: 'insert', index: at + 1, rule: '-j DROP' },
      ]);
    }
  });

  it('rewrites a chain with nothing in common without searching', () => {
    const from = rules(5000);
    const to = from.map((r) => `${r} --new`);
    const start = performance.now();
    const edits = computeChainEdits(from, to);
    expect(performance.now() - start).toBeLessThan(500);
    expect(edits).toHaveLength(10000);
    expect(applyEdits(from, edits)).toEqual(to);
  });

  it('applies hunks from the end so earlier indexes stay valid', () => {
    const edits = computeChainEdits(['a', 'b', 'c', 'd'], ['x', 'b', 'd', 'y']);
    expect(edits).toEqual([
      { op: 'insert', index: 5, rule: 'y' },
      { op: 'delete', index: 3, rule: 'c' },
      { op: 'delete', index: 1, rule: 'a' },
      { op: 'insert', index: 1, rule: 'x' },
    ]);
  });
});
