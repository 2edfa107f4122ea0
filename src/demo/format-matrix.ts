import type { DesiredState } from '../model/desired-state.js';
import type { MatrixRow, Mismatch } from '../testbed/probe-matrix.js';

/**
 * The reachability table the demo prints: one row per source (peers, linked cells, an unknown
 * address in the peer subnet), one column per service, peer, the internet and the api.
 * `yes` / `no`; the internet column names who answered (`internet`, or `exit:<cell>` for a
 * peer whose internet traffic leaves through an exit cell). A `!` marks a cell that differs
 * from what the state implies.
 */
export function formatMatrix(state: DesiredState, rows: readonly MatrixRow[], mismatches: readonly Mismatch[]): string {
  const columns = [
    ...state.cell.services.map((s) => s.name),
    ...state.peers.map((p) => `peer:${p.name}`),
    'internet',
    'api',
  ];
  const headers = columns.map((c) => c.replace(/^peer:/, ''));
  const wrong = new Set(mismatches.map((m) => `${m.source}\u0000${m.column}`));
  const cellText = (row: MatrixRow, column: string): string => {
    if (!(column in row.cells)) return '-';
    const value = row.cells[column] ?? null;
    const mark = wrong.has(`${row.source}\u0000${column}`) ? '!' : '';
    if (column === 'internet') return `${value ?? 'no'}${mark}`;
    return `${value === null ? 'no' : 'yes'}${mark}`;
  };
  const body = rows.map((row) => [row.source, ...columns.map((c) => cellText(row, c))]);
  const table = [['source', ...headers], ...body];
  const widths = table[0]?.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length))) ?? [];
  const serviceEnd = state.cell.services.length;
  const peerEnd = serviceEnd + state.peers.length;
  const line = (r: readonly string[]): string =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .map((cell, i) => (i === serviceEnd || i === peerEnd ? `${cell} |` : cell))
      .join('  ')
      .trimEnd();
  const out = table.map(line);
  out.splice(1, 0, '-'.repeat(out[0]?.length ?? 0));
  return `${out.join('\n')}\n`;
}

/** The matrix as text rows a script can read back: `source column value`. */
export function matrixLines(rows: readonly MatrixRow[]): string {
  return rows.flatMap((row) => Object.entries(row.cells).map(([column, value]) => `${row.source} ${column} ${value ?? 'no'}`)).join('\n');
}
