import type { CellTargets } from '../model/cell-targets.js';
import type { DesiredState } from '../model/desired-state.js';
import type { LayoutConfig } from '../model/facts.js';
import { ALL_PARTS, observeCell, type Observed } from '../observe/observe-cell.js';
import { cellFingerprint } from '../plan/cell-fingerprint.js';
import { planCell } from '../plan/plan-cell.js';
import { canonicalJson, movedEntries, nameList, type PlanFile } from '../plan/plan-file.js';
import { claimsOf } from '../plan/plan-vip-claims.js';
import { renderCell } from '../render/render-cell.js';

export type SavedPlanCheck =
  { readonly ok: true; readonly observation: Observed } | { readonly ok: false; readonly error: string };

/**
 * Whether a saved plan still holds on the live cell: its fingerprint is the one the plan was made
 * against, and planning the (unchanged) state against this observation gives exactly the saved
 * actions, so what reconcileCell then applies from `observation` is what the operator reviewed.
 * The second check catches a file edited by hand or a plan made by another version.
 */
export async function checkSavedPlan(
  file: PlanFile,
  state: DesiredState,
  targets: CellTargets,
  layout: LayoutConfig,
  hash: (text: string) => string,
): Promise<SavedPlanCheck> {
  const observation = await observeCell(targets, layout, ALL_PARTS, state.cell.ip_range);
  const { observed, facts } = observation;
  const now = planCell(renderCell(state, facts, layout), observed, layout, claimsOf(state, facts));
  // A target that cannot be read is said as such, not as every part of it having moved.
  if (now.skipped.length > 0)
    return { ok: false, error: `not observed now: ${nameList(now.skipped.map((s) => `${s.part} (${s.error})`))}` };
  const moved = movedEntries(file.live, cellFingerprint(observed, facts, layout, hash));
  if (moved.length > 0) return { ok: false, error: `live cell changed since the plan: ${nameList(moved)}` };
  if (canonicalJson(now.actions) !== canonicalJson(file.plan.actions))
    return {
      ok: false,
      error:
        'the saved actions are not what this pic-reconciler plans from the same state and cell (an edited file, or another version); plan again',
    };
  return { ok: true, observation };
}
