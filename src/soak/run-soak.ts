import { rename } from 'node:fs/promises';
import { layoutOf } from '../config/controller-config.js';
import { loadState } from '../load/load-state.js';
import { reconcileCell } from '../pass/reconcile-cell.js';
import { nsRunOk } from '../testbed/netns.js';
import { bareCellController, type BareCell } from '../testbed/bare-cell.js';
import { reconcileCount, waitConverged } from './controller-passes.js';
import { editPeer, writeCellState } from './peer-files.js';
import { activeResources, childProcesses, grownResources, sampleMemory, type MemorySample } from './sample-process.js';

export interface SoakOptions {
  readonly minutes: number;
  readonly peers: number;
  /** Pause between two edits. */
  readonly editEveryMs: number;
  /** Pause between two wipes (alternately the live firewall and the state dir). */
  readonly wipeEverySeconds: number;
  readonly sampleEverySeconds: number;
}

export interface SoakReport {
  readonly minutes: number;
  readonly edits: number;
  readonly wipes: number;
  readonly reconciles: number;
  readonly samples: readonly MemorySample[];
  /** Median RSS of the last third of the samples minus that of the first third. */
  readonly rssGrowthMb: number;
  readonly convergedAtEnd: boolean;
  readonly residualActions: number;
  /** Active handles and requests that outlived the controller, by kind. */
  readonly leakedResources: Record<string, number>;
  readonly childrenAfterStop: readonly string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** A deterministic stream of peer indexes (LCG), so two soaks edit the same files. */
function indexes(peers: number): () => number {
  let x = 12345;
  return () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x % peers;
  };
}

/**
 * Continuous edits and periodic wipes for `minutes`, with memory sampled after a full GC:
 * a wipe flushes the live FORWARD chain (drift, repaired by the resync) or moves the state
 * dir away for two seconds (held by last-known-good). At the end the controller must be
 * converged, and after stop() no handle, timer or child process of it may remain.
 */
export async function runSoak(cell: BareCell, options: SoakOptions): Promise<SoakReport> {
  await writeCellState(cell.stateDir, options.peers);
  const resourcesBefore = activeResources();
  const controller = bareCellController(cell);
  const startedAt = Date.now();
  const samples: MemorySample[] = [];
  let edits = 0;
  let wipes = 0;
  let reconciles = 0;
  let convergedAtEnd = false;
  try {
    await controller.start();
    if (!(await waitConverged(controller, startedAt, 120_000)))
      throw new Error('the soak cell did not converge at start');
    const before = await reconcileCount(controller);
    const next = indexes(options.peers);
    const end = startedAt + options.minutes * 60_000;
    let nextWipe = Date.now() + options.wipeEverySeconds * 1000;
    let nextSample = Date.now();
    while (Date.now() < end) {
      if (Date.now() >= nextSample) {
        samples.push(sampleMemory(startedAt));
        nextSample += options.sampleEverySeconds * 1000;
      }
      if (Date.now() >= nextWipe) {
        wipes++;
        if (wipes % 2 === 1) await nsRunOk(cell.wg, ['iptables', '-F', 'FORWARD']);
        else {
          await rename(cell.stateDir, `${cell.stateDir}.away`);
          await sleep(2_000);
          await rename(`${cell.stateDir}.away`, cell.stateDir);
        }
        nextWipe = Date.now() + options.wipeEverySeconds * 1000;
      }
      edits++;
      await editPeer(cell.stateDir, next(), edits);
      await sleep(options.editEveryMs);
    }
    convergedAtEnd = await waitConverged(controller, Date.now(), 60_000);
    reconciles = (await reconcileCount(controller)) - before;
    samples.push(sampleMemory(startedAt));
  } finally {
    await controller.stop();
  }
  const loaded = await loadState(cell.stateDir);
  const check =
    loaded.state === null
      ? null
      : await reconcileCell(loaded.state, cell.targets, layoutOf(cell.config), { dryRun: true });
  // Let the last closed handles be collected before counting what is left.
  await sleep(500);
  const third = Math.max(1, Math.floor(samples.length / 3));
  return {
    minutes: options.minutes,
    edits,
    wipes,
    reconciles,
    samples,
    rssGrowthMb:
      Math.round(
        (median(samples.slice(-third).map((s) => s.rssMb)) - median(samples.slice(0, third).map((s) => s.rssMb))) * 10,
      ) / 10,
    convergedAtEnd,
    residualActions: check === null ? Number.NaN : check.plan.actions.length,
    leakedResources: grownResources(resourcesBefore, activeResources()),
    childrenAfterStop: childProcesses(),
  };
}
