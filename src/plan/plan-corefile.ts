import type { CorefileAction } from '../model/plan.js';
import { matchSequences } from './diff-sequence.js';

/** Rewrite the Corefile when its text differs from the rendered one, or it does not exist yet. */
export function planCorefile(desired: string, observed: string | null): CorefileAction[] {
  if (observed === desired) return [];
  return [
    {
      kind: 'write-corefile',
      text: desired,
      previous: observed,
      reason: observed === null ? 'file missing' : linesReason(observed, desired),
    },
  ];
}

function linesReason(from: string, to: string): string {
  const a = from.split('\n');
  const b = to.split('\n');
  const changed = a.length + b.length - 2 * matchSequences(a, b).length;
  return `${changed} ${changed === 1 ? 'line differs' : 'lines differ'}`;
}
