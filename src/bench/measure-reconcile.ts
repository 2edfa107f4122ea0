import type { DesiredState } from '../model/desired-state.js';
import { reconcileCell, type ReconcileTimings } from '../pass/reconcile-cell.js';
import { isRestoreCommand } from '../apply/apply-plan.js';
import { observeCell } from '../observe/observe-cell.js';
import type { ApplyCounts } from '../apply/apply-plan.js';
import { createNetnsCell, type BenchCell } from './netns-cell.js';

export interface PassRun {
  readonly ms: number;
  readonly timings: ReconcileTimings;
  readonly execs: number;
  readonly writes: ApplyCounts;
  readonly restoreBytes: number;
  readonly converged: boolean;
}

export interface ReconcileRun {
  /** From empty namespaces: observe, plan, apply, verify. */
  readonly full: PassRun;
  /** Again on the converged cell, NOOP_PAIRS times. */
  readonly noop: readonly PassRun[];
  /** Only reading the live state (observeCell), each right after a no-op pass. */
  readonly observeMs: readonly number[];
}

/** No-op passes and bare observations per converged cell, in turn: cheap, and they are the noisiest figures. */
const NOOP_PAIRS = 3;

const NO_WRITES: ApplyCounts = { restores: 0, ipBatches: 0, fileWrites: 0, signals: 0 };

/** One reconcile, timed, with the processes it ran and what it wrote; throws when it does not converge. */
export async function reconcilePass(state: DesiredState, cell: BenchCell): Promise<PassRun> {
  cell.targets.wireguard.take();
  cell.targets.caddy.take();
  const t0 = performance.now();
  const result = await reconcileCell(state, cell.targets, cell.layout);
  const ms = performance.now() - t0;
  const records = [...cell.targets.wireguard.take(), ...cell.targets.caddy.take()];
  const restore = records.find((r) => isRestoreCommand(r.argv));
  if (!result.converged) throw new Error(`reconcile did not converge: ${result.errors.slice(0, 3).join('; ')}`);
  return {
    ms,
    timings: result.timings,
    execs: records.length,
    writes: result.apply?.counts ?? NO_WRITES,
    restoreBytes: restore?.stdinBytes ?? 0,
    converged: result.converged,
  };
}

/** A full converge on fresh namespaces, then no-op passes and bare observations of the converged cell, in turn. */
export async function measureReconcile(state: DesiredState): Promise<ReconcileRun> {
  const cell = await createNetnsCell();
  try {
    const full = await reconcilePass(state, cell);
    const noop: PassRun[] = [];
    const observeMs: number[] = [];
    for (let i = 0; i < NOOP_PAIRS; i++) {
      noop.push(await reconcilePass(state, cell));
      const t0 = performance.now();
      await observeCell(cell.targets, cell.layout);
      observeMs.push(performance.now() - t0);
    }
    return { full, noop, observeMs };
  } finally {
    await cell.dispose();
  }
}
