import type { DesiredState } from '../model/desired-state.js';
import { expectedReachability, type ExpectedRow } from './expected-reachability.js';
import { probeAll } from './netns.js';
import { matrixEndpoints, type TestbedCell } from './testbed-cell.js';

/** One observed row: for each column, the label of whoever answered, or null. */
export type MatrixRow = ExpectedRow;

export interface Mismatch {
  readonly source: string;
  readonly column: string;
  readonly expected: string | null;
  readonly observed: string | null;
}

function sourceLabel(kind: string, name: string): string {
  return kind === 'link' ? `cell:${name}` : name;
}

/** Connects from every source of the testbed to every endpoint at once; unanswered within timeoutMs means blocked. */
export async function probeMatrix(state: DesiredState, cell: TestbedCell, timeoutMs = 1_000): Promise<MatrixRow[]> {
  const endpoints = matrixEndpoints(state, cell);
  const sources = cell.sources;
  const results = await probeAll(
    sources.map((s) => ({ from: s.ns, to: endpoints.filter((e) => e.endpoint.ip !== s.ip).map((e) => e.endpoint) })),
    timeoutMs,
  );
  return sources.map((source, i) => {
    const answers = results[i] ?? [];
    const cells: Record<string, string | null> = {};
    const probed = endpoints.filter((e) => e.endpoint.ip !== source.ip);
    probed.forEach((e, j) => {
      const answer = answers[j];
      cells[e.label] = answer?.outcome === 'connected' ? answer.answeredBy : null;
    });
    return { source: sourceLabel(source.kind, source.name), cells };
  });
}

/** Every cell where the live matrix differs from what the state implies. */
export function compareMatrix(state: DesiredState, observed: readonly MatrixRow[], apiKnown = true): Mismatch[] {
  const mismatches: Mismatch[] = [];
  for (const row of expectedReachability(state, apiKnown)) {
    const live = observed.find((r) => r.source === row.source);
    if (live === undefined) continue;
    for (const [column, expected] of Object.entries(row.cells)) {
      // A peer added after the testbed was built has no host to probe; it is not a mismatch.
      if (!(column in live.cells)) continue;
      const got = live.cells[column] ?? null;
      if (got !== expected) mismatches.push({ source: row.source, column, expected, observed: got });
    }
  }
  return mismatches;
}
