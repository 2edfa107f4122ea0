import type { CellTargets } from '../model/cell-targets.js';
import type { LayoutConfig } from '../model/facts.js';
import type { Plan } from '../model/plan.js';
import type { RenderedCell } from '../model/rendered-cell.js';
import { observeCell, type ObserveParts } from '../observe/observe-cell.js';
import { planCell } from '../plan/plan-cell.js';

/**
 * Observes again the parts apply wrote and plans against the same rendered target.
 * An empty residual plan means the cell converged; anything left is reported as is,
 * never hidden by a looser comparison.
 */
export async function verifyConverged(rendered: RenderedCell, targets: CellTargets, layout: LayoutConfig, touched: Omit<ObserveParts, 'facts'>): Promise<Plan> {
  const { observed } = await observeCell(targets, layout, { ...touched, facts: false });
  const residual = planCell(rendered, observed, layout);
  // Parts not re-read were not written; they are not part of the residual.
  return { actions: residual.actions, skipped: residual.skipped.filter((s) => !s.error.startsWith('not observed')) };
}
