import { layoutOf } from '../config/controller-config.js';
import { loadState } from '../load/load-state.js';
import { reconcileCell } from '../pass/reconcile-cell.js';
import { bareCellController, type BareCell } from '../testbed/bare-cell.js';
import { reconcileCount, waitConverged } from './controller-passes.js';
import { editPeer, writeCellState } from './peer-files.js';

export interface BurstOptions {
  readonly peers: number;
  readonly changes: number;
  /** The changes are spread evenly over this many seconds. */
  readonly seconds: number;
  /** How long the controller may take to converge after the last change. */
  readonly settleTimeoutMs?: number;
}

export interface BurstReport {
  readonly peers: number;
  readonly changes: number;
  readonly seconds: number;
  readonly initialConvergeMs: number;
  /** Reconciles from the first change until converged on the last one. */
  readonly reconciles: number;
  /** From the last change to the converged pass that saw it. */
  readonly settleMs: number;
  readonly converged: boolean;
  /** Actions an independent dry-run still plans against the live cell at the end (0 when converged). */
  readonly residualActions: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Many peers, then a burst of file edits (editors' rename-over saves) at a steady rate while
 * the controller runs: the reconciles coalesce, and the cell ends converged on the last edit.
 */
export async function runBurst(cell: BareCell, options: BurstOptions): Promise<BurstReport> {
  const { peers, changes, seconds } = options;
  await writeCellState(cell.stateDir, peers);
  const controller = bareCellController(cell);
  try {
    const started = Date.now();
    await controller.start();
    const initial = await waitConverged(controller, started, 120_000);
    if (!initial)
      throw new Error(
        `the initial ${peers} peers did not converge: ${JSON.stringify(controller.status().lastReconcile?.errors)}`,
      );
    const initialConvergeMs = Date.now() - started;

    const before = await reconcileCount(controller);
    const burstStart = Date.now();
    const interval = (seconds * 1000) / changes;
    for (let k = 0; k < changes; k++) {
      const due = burstStart + k * interval;
      if (due > Date.now()) await sleep(due - Date.now());
      // A stride that is prime to the peer count visits many different files.
      await editPeer(cell.stateDir, (k * 7919) % peers, k + 1);
    }
    const lastChange = Date.now();
    const converged = await waitConverged(controller, lastChange, options.settleTimeoutMs ?? 120_000);
    const settleMs = Date.now() - lastChange;
    const reconciles = (await reconcileCount(controller)) - before;

    const loaded = await loadState(cell.stateDir);
    const check =
      loaded.state === null
        ? null
        : await reconcileCell(loaded.state, cell.targets, layoutOf(cell.config), { dryRun: true });
    return {
      peers,
      changes,
      seconds,
      initialConvergeMs,
      reconciles,
      settleMs,
      converged,
      residualActions: check === null ? Number.NaN : check.plan.actions.length,
    };
  } finally {
    await controller.stop();
  }
}
