import type { ApplyResult } from '../apply/apply-plan.js';
import type { CellTargets } from '../model/cell-targets.js';
import type { LayoutConfig } from '../model/facts.js';
import type { ObservedCell } from '../model/observed-cell.js';
import type { Plan } from '../model/plan.js';
import type { RenderedCell } from '../model/rendered-cell.js';
import { observeCell } from '../observe/observe-cell.js';
import { planCell } from '../plan/plan-cell.js';

/**
 * Observes again the parts apply wrote and plans against the same rendered target.
 * A part the writing process already read back is taken from there (no further exec); the
 * others (the Corefile, a failed write, a target without a shell) are read anew.
 * An empty residual plan means the cell converged; anything left is reported as is,
 * never hidden by a looser comparison.
 */
export async function verifyConverged(
  rendered: RenderedCell,
  targets: CellTargets,
  layout: LayoutConfig,
  apply: Pick<ApplyResult, 'touched' | 'readback'>,
): Promise<Plan> {
  const { touched, readback } = apply;
  const { observed } = await observeCell(targets, layout, {
    iptables: touched.iptables && readback.iptables === undefined,
    routing: touched.routing && (readback.policyRules === undefined || readback.routes === undefined),
    addresses: touched.addresses && readback.addresses === undefined,
    corefile: touched.corefile,
    facts: false,
  });
  const current: ObservedCell = {
    iptables: readback.iptables ?? observed.iptables,
    policyRules: readback.policyRules ?? observed.policyRules,
    routes: readback.routes ?? observed.routes,
    addresses: readback.addresses ?? observed.addresses,
    corefile: observed.corefile,
  };
  const residual = planCell(rendered, current, layout);
  // Parts not re-read were not written; they are not part of the residual.
  return { actions: residual.actions, skipped: residual.skipped.filter((s) => s.unread !== true) };
}
