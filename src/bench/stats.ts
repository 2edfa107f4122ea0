/** Median, min and max of repeated runs: machines are noisy, so the median is what we quote. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('summarize: no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number, runs: sorted.length };
}

/** `a / b`, or null when b is not positive. */
export function ratio(a: number, b: number): number | null {
  return b > 0 ? a / b : null;
}

/**
 * Cost per added unit between consecutive sizes, e.g. ms per peer from 100 to 1,000 and from
 * 1,000 to 5,000. Linear growth keeps these about equal; quadratic growth multiplies them.
 */
export function marginalCosts(
  points: readonly { readonly x: number; readonly y: number }[],
): { readonly from: number; readonly to: number; readonly perUnit: number }[] {
  const sorted = [...points].sort((a, b) => a.x - b.x);
  return sorted.slice(1).flatMap((p, i) => {
    const q = sorted[i] as { x: number; y: number };
    return p.x > q.x ? [{ from: q.x, to: p.x, perUnit: (p.y - q.y) / (p.x - q.x) }] : [];
  });
}
