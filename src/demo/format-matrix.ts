import type { DesiredState } from '../model/desired-state.js';
import type { MatrixRow, Mismatch } from '../testbed/probe-matrix.js';

/**
 * The reachability table: one row per source (peers, linked cells as `cell:<name>`, and
 * `unknown`, an address in the peer subnet that is no peer), one column per target
 * (services | other peers | internet, api), separated by `|`. A cell reads `yes` or `no`;
 * the internet column names who answered (`internet`, or `exit:<cell>` when the traffic left
 * through an exit cell); `-` is the source itself; a trailing `!` marks a cell that differs
 * from what the desired state implies.
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
  const table = [['source', ...headers], ...rows.map((row) => [row.source, ...columns.map((c) => cellText(row, c))])];
  const widths = (table[0] ?? []).map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  const serviceEnd = state.cell.services.length;
  const peerEnd = serviceEnd + state.peers.length;
  const line = (r: readonly string[]): string =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .map((cell, i) => (i === serviceEnd || i === peerEnd ? `${cell} |` : cell))
      .join('  ')
      .trimEnd();
  const out = table.map(line);
  out.splice(1, 0, '-'.repeat(Math.max(...out.map((l) => l.length))));
  return `${out.join('\n')}\n`;
}

/** One line that says how to read the table. */
export function matrixLegend(state: DesiredState): string {
  return (
    `yes/no: a TCP connection from the row to the column was answered or not; internet: who answered (exit:<cell> = through that exit cell); ` +
    `api: cell-api through the DNAT on the WireGuard address; unknown: an address in ${state.cell.peer_subnet} that is no peer; -: itself; !: differs from the desired state\n`
  );
}
