import type { AccessCheck } from '../access/access-divergence.js';
import type { ApplyResult } from '../apply/apply-plan.js';
import type { LoadedState } from '../load/loaded-state.js';
import type { AccessMatrixView } from '../model/access-matrix-view.js';
import type { HeldBack } from '../pass/held-back.js';
import type { BackendView } from '../model/observed-cell.js';
import type { Action } from '../model/plan.js';
import type { PassResult } from '../model/reconcile-labels.js';
import type { ReconcileTimings } from '../pass/reconcile-cell.js';
import type { DesiredCounts } from './controller-status.js';

/** What one pass asks and what it reports: the contract between the reconciler and the reporter. */

export type LoadSummary = Pick<LoadedState, 'issues' | 'fallbackFiles' | 'unresolvedFiles'>;

export interface ReconcileRequest {
  readonly id: string;
  readonly triggers: readonly string[];
}

/** Everything one pass found and did, as data: the reporter turns it into metrics, /status and log lines. */
export interface ReconcileReport extends ReconcileRequest {
  readonly startedAt: Date;
  readonly durationMs: number;
  /** The Cell's name in the last state that had one; null before any. */
  readonly cell: string | null;
  readonly result: PassResult;
  /** Why the cell is not ready (the guard's words, the first errors); empty when converged. */
  readonly message: string;
  /** Parts that could not be observed; null when nothing was observed. */
  readonly unreachable: readonly string[] | null;
  /** The desired resource counts; null when there is no desired state. */
  readonly counts: DesiredCounts | null;
  readonly guard: string | null;
  /** What broken files held back this pass; null when nothing was planned (the previous list stays). */
  readonly heldBack: readonly HeldBack[] | null;
  /** What the load step found (file errors, files on their last good version, files whose resources are unknown); null when the pass failed before it loaded anything. */
  readonly load: LoadSummary | null;
  /** The actions that count as applied (see appliedActions). */
  readonly applied: readonly Action[];
  /** True when they were applied for the desired state the cell last converged to: live drift repaired. */
  readonly driftRepaired: boolean;
  readonly errors: readonly string[];
  /** Live entries not ours that could not be read exactly and were left as they are. */
  readonly warnings: readonly string[];
  /** The last-good store could not be written (the pass went on). */
  readonly storeError: string | null;
  /** The Corefile this pass rendered, null when it rendered none. */
  readonly renderedCorefile: string | null;
  /** Plan size, write counts and step timings, when reconcileCell ran. */
  readonly work: {
    readonly planned: number;
    readonly writes: ApplyResult['counts'] | null;
    readonly timings: ReconcileTimings;
  } | null;
  /** The effective-access check of a converged pass (AccessDiverged); absent when none ran (the previous verdict stays). */
  readonly access?: AccessReport;
}

/** The last check, and the backend it read (the other backend's rules go to /status). */
export interface AccessReport {
  readonly check: AccessCheck;
  readonly backend: BackendView | null;
  /** The whole matrix for /status and the status page; null for a cell too large to draw. */
  readonly matrix: AccessMatrixView | null;
}
