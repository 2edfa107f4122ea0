import type { CellTargets } from '../model/cell-targets.js';
import type { DesiredState } from '../model/desired-state.js';
import type { LayoutConfig } from '../model/facts.js';
import type { ObservedCell } from '../model/observed-cell.js';
import type { Plan } from '../model/plan.js';
import type { RenderedCell } from '../model/rendered-cell.js';
import { applyPlan, type ApplyResult } from '../apply/apply-plan.js';
import { ALL_PARTS, observeCell, type Observed } from '../observe/observe-cell.js';
import { planCell } from '../plan/plan-cell.js';
import { claimsOf } from '../plan/plan-vip-claims.js';
import { renderCell } from '../render/render-cell.js';
import { verifyConverged } from '../verify/verify-converged.js';

export interface ReconcileOptions {
  /** Plan only; nothing is written. */
  readonly dryRun?: boolean;
  /** Returns why a plan must not be applied (the mass-delete guard), or null. */
  readonly guard?: (plan: Plan, observed: ObservedCell) => string | null;
  /** Adjusts the rendered target after observing (keeps live rules that cannot be attributed). */
  readonly adjust?: (rendered: RenderedCell, observed: ObservedCell) => RenderedCell;
  /** An observation already under way (started while the state was loading); observed here otherwise. */
  readonly observation?: Promise<Observed>;
  readonly now?: () => number;
}

export interface ReconcileTimings {
  readonly observeMs: number;
  readonly planMs: number;
  readonly applyMs: number;
  readonly verifyMs: number;
}

export interface ReconcileResult {
  readonly rendered: RenderedCell;
  readonly plan: Plan;
  readonly apply: ApplyResult | null;
  /** What was still different after apply; null when nothing was applied. */
  readonly residual: Plan | null;
  /** Set when the guard refused the plan. */
  readonly refused: string | null;
  readonly converged: boolean;
  /** One line each: unreachable parts, failed writes, a residual plan. */
  readonly errors: readonly string[];
  readonly timings: ReconcileTimings;
}

/** One pass: observe → render → plan → apply → verify. Never throws for a failing target. */
export async function reconcileCell(
  state: DesiredState,
  targets: CellTargets,
  layout: LayoutConfig,
  options: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const now = options.now ?? (() => performance.now());
  const t0 = now();
  const { observed, facts } = await (options.observation ??
    observeCell(targets, layout, ALL_PARTS, state.cell.ip_range));
  const t1 = now();
  const plain = renderCell(state, facts, layout);
  const rendered = options.adjust ? options.adjust(plain, observed) : plain;
  const plan = planCell(rendered, observed, layout, claimsOf(state, facts));
  const t2 = now();
  const errors = plan.skipped.map((s) => s.error);
  const timings = (applyMs: number, verifyMs: number): ReconcileTimings => ({
    observeMs: t1 - t0,
    planMs: t2 - t1,
    applyMs,
    verifyMs,
  });

  const refused = options.guard?.(plan, observed) ?? null;
  // A CoreDNS reload that failed earlier is still owed, even when the plan is empty.
  const nothingToDo = plan.actions.length === 0 && !targets.dns.reloadPending;
  if (options.dryRun || refused !== null || nothingToDo) {
    const pendingReload = targets.dns.reloadPending ? [`${targets.dns.locator}: CoreDNS reload still pending`] : [];
    return {
      rendered,
      plan,
      apply: null,
      residual: null,
      refused,
      converged: refused === null && nothingToDo && errors.length === 0,
      errors: [...errors, ...(refused === null ? [] : [refused]), ...(options.dryRun ? pendingReload : [])],
      timings: timings(0, 0),
    };
  }

  const apply = await applyPlan(plan, targets, layout, observed.backend?.writes ?? null);
  const t3 = now();
  const residual = await verifyConverged(rendered, targets, layout, apply);
  const t4 = now();
  const residualErrors =
    residual.actions.length > 0 ? [`not converged: ${residual.actions.length} actions still pending after apply`] : [];
  const allErrors = [
    ...errors,
    ...apply.failures.map((f) => f.error),
    ...residual.skipped.map((s) => s.error),
    ...residualErrors,
  ];
  return {
    rendered,
    plan,
    apply,
    residual,
    refused: null,
    converged: allErrors.length === 0,
    errors: allErrors,
    timings: timings(t3 - t2, t4 - t3),
  };
}
