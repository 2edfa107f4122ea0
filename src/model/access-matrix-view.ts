/**
 * The access matrix as `/status` carries it and the status page draws it: who reaches what
 * by the live rules, and where that differs from what the desired state allows. A source per
 * row, a destination per column; `cells[row][column]`.
 */
export interface AccessMatrixCell {
  /** By the live rules: true reaches, false is dropped, null cannot be evaluated (an opaque rule). */
  readonly reaches: boolean | null;
  /** The desired state decides otherwise for this pair. */
  readonly differs: boolean;
  /** One line on what decided, when known. */
  readonly detail?: string;
}

export interface AccessMatrixView {
  readonly rows: readonly string[];
  readonly columns: readonly string[];
  readonly cells: readonly (readonly AccessMatrixCell[])[];
}

/** One line per differing pair (`bob → internet: live reaches, desired does not`), for events and logs. */
export function matrixDifferences(matrix: AccessMatrixView | null): string[] {
  if (matrix === null) return [];
  const lines: string[] = [];
  matrix.rows.forEach((row, r) =>
    matrix.columns.forEach((column, c) => {
      const cell = matrix.cells[r]?.[c];
      if (cell?.differs !== true) return;
      const live = cell.reaches === null ? 'cannot be evaluated' : cell.reaches ? 'reaches' : 'is dropped';
      lines.push(`${row} → ${column}: live ${live}, the desired state decides otherwise`);
    }),
  );
  return lines;
}
