import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { ownIdentity } from '../lock/process-identity.js';
import type { CellTargets } from '../model/cell-targets.js';
import type { LayoutConfig } from '../model/facts.js';
import { awaitConfirmation } from './await-confirmation.js';
import type { CellSnapshot } from './cell-snapshot.js';
import { restoreSnapshot, type RestoreResult } from './restore-snapshot.js';
import { guardSignals } from './signal-guard.js';
import { deadlineIn, monotonicMs, type MonotonicClock } from './window-clock.js';
import { removeMarker, writeMarker, type WindowMarker, type WindowState } from './window-marker.js';
import { clearRecords, removeRequest, writeRequest, writeResult, type WindowResult } from './window-record.js';

/**
 * The confirm window is one state machine, and every transition is on disk before it takes effect:
 *
 *   armed ─ apply verified ─▶ applied ─ request on disk (confirm, or y typed here) ─▶ confirmed
 *     │                          ├─ deadline ────────▶ expired ────┐
 *     │                          └─ SIGTERM, SIGINT ──▶ terminated ─┼─▶ rolled back | rollback incomplete
 *     └─ apply not verified, or applied not recordable ─▶ abandoned ┘
 *
 * - armed is written (with the snapshot) before the apply; when it cannot be, nothing is applied.
 * - applied is written before the operator is told to confirm; when it cannot be, the window
 *   rolls back at once: an unrecorded window must not stay live.
 * - confirmed IS a request naming the window while the marker says applied, so a confirmation
 *   that reached the disk stands even if this process dies now (the next writer keeps it). A typed
 *   y is written as a request here first; if that fails, the window rolls back. Then the result
 *   is written and the marker removed.
 * - expired, terminated and abandoned are written before the rollback; if that write fails the
 *   rollback runs anyway (it is the safe direction). The result follows; the marker goes only
 *   once the rollback verified, so an incomplete one is tried again by the next writer.
 */
export interface OpenWindowOptions {
  /** Taken before the apply (takeSnapshot). */
  readonly snapshot: CellSnapshot;
  readonly targets: CellTargets;
  readonly layout: LayoutConfig;
  readonly statusDir: string;
  readonly signals?: EventEmitter;
  /** One line for the operator (stderr in the CLI). */
  readonly print: (line: string) => void;
  /** Wall clock, only for the times people read. */
  readonly now?: () => number;
  /** The clock that decides (window-clock.ts). */
  readonly clock?: MonotonicClock;
}

export interface WaitOptions {
  readonly seconds: number;
  /** How the operator confirms from another shell, e.g. `pic-reconciler confirm --state /srv/state`. */
  readonly confirmCommand: string;
  readonly stdin?: NodeJS.ReadStream;
}

/** abandoned: the apply did not verify, or the window could not be recorded as open. */
export type WindowEnd = 'confirmed' | 'expired' | 'terminated' | 'abandoned';

export interface ConfirmWindowResult {
  readonly end: WindowEnd;
  /** The rollback, when there was one. */
  readonly restore: RestoreResult | null;
  /** Why the window was abandoned, and writes of the window's own files that failed. */
  readonly errors: readonly string[];
}

export interface ConfirmWindow {
  /** After a verified apply: say how to confirm and when the window closes, wait, and unless confirmed roll back. */
  wait(options: WaitOptions): Promise<ConfirmWindowResult>;
  /** After an apply that did not verify: roll back now. */
  abandon(): Promise<ConfirmWindowResult>;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Opens a window BEFORE the apply: the signal guard first, then the armed marker; throws (nothing applied) when it cannot be written. */
export async function openConfirmWindow(options: OpenWindowOptions): Promise<ConfirmWindow> {
  const now = options.now ?? Date.now;
  const dir = options.statusDir;
  const guard = guardSignals(options.signals ?? process, options.print);
  let marker: WindowMarker = {
    id: randomBytes(16).toString('hex'),
    process: ownIdentity(),
    cell: options.targets.wireguard.locator,
    state: 'armed',
    opened: new Date(now()).toISOString(),
    closes: null,
    deadline: null,
    snapshot: options.snapshot,
  };
  const record = async (next: Partial<Pick<WindowMarker, 'state' | 'closes' | 'deadline'>>): Promise<void> => {
    const written = { ...marker, ...next };
    await writeMarker(dir, written);
    marker = written;
  };
  const result = (outcome: WindowResult['outcome'], why: string, errors: readonly string[]): WindowResult => ({
    id: marker.id,
    outcome,
    why,
    at: new Date(now()).toISOString(),
    errors: [...errors],
  });
  try {
    await clearRecords(dir);
    await record({});
  } catch (error) {
    guard.release();
    throw error;
  }

  const rollBack = async (end: Exclude<WindowEnd, 'confirmed'>, why: string, errors: string[]) => {
    options.print(`${why}: restoring the previous state`);
    try {
      const state: WindowState = end;
      await record({ state }).catch((error: unknown) =>
        errors.push(`could not record the window as ${state}: ${message(error)}`),
      );
      const restore = await restoreSnapshot(options.snapshot, options.targets, options.layout);
      const outcome = restore.restored ? 'rolled-back' : 'rollback-incomplete';
      await writeResult(dir, result(outcome, why, [...errors, ...restore.errors, ...restore.collisions])).catch(
        (error: unknown) => errors.push(`could not record the result: ${message(error)}`),
      );
      if (restore.restored && (await removeMarker(dir))) await removeRequest(dir);
      options.print(
        !restore.restored
          ? `rollback incomplete (the next run or apply tries again): ${restore.errors.join('; ')}`
          : restore.collisions.length > 0
            ? `rolled back, except where someone else's entry now stands: ${restore.collisions.join('; ')}`
            : 'restored and verified: the cell is as it was before the apply',
      );
      return { end, restore, errors };
    } finally {
      guard.release();
    }
  };

  const keep = async (how: string): Promise<ConfirmWindowResult> => {
    const errors: string[] = [];
    // Without a result, the applied marker and the request stay: together they are the confirmation
    // on disk, which `confirm` reads once this process is gone and the next writer keeps.
    const recorded = await writeResult(dir, result('confirmed', how, [])).then(
      () => true,
      (error: unknown) => (errors.push(`could not record the result: ${message(error)}`), false),
    );
    if (recorded && (await removeMarker(dir))) await removeRequest(dir);
    else errors.push('the marker stays; the next run or apply finds the confirmation and keeps the new state');
    guard.release();
    options.print('confirmed: the new state stays');
    return { end: 'confirmed', restore: null, errors };
  };

  return {
    abandon: () => rollBack('abandoned', 'the apply did not verify', []),
    async wait(wait) {
      const deadline = deadlineIn(wait.seconds * 1000, options.clock ?? monotonicMs);
      const closes = new Date(now() + wait.seconds * 1000).toISOString();
      try {
        await record({ state: 'applied', closes, deadline });
      } catch (error) {
        const why = `could not record the open window in ${dir} (${message(error)})`;
        return rollBack('abandoned', why, [why]);
      }
      const terminal = wait.stdin?.isTTY === true ? ', or type y and Enter here' : '';
      const end = await awaitConfirmation({
        statusDir: dir,
        id: marker.id,
        deadline,
        guard,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        ...(wait.stdin === undefined ? {} : { stdin: wait.stdin }),
        onOpen: () =>
          options.print(
            `applied; confirm within ${wait.seconds} s with \`${wait.confirmCommand}\`${terminal}. The window closes at ${closes}; then the previous state is restored.`,
          ),
        onOtherLine: () => options.print('only a line with y or yes confirms; the window stays open'),
      });
      if (end === 'requested') return keep('confirmed by `pic-reconciler confirm`');
      if (end === 'typed') {
        try {
          await writeRequest(dir, marker.id);
        } catch (error) {
          const why = `could not record the confirmation typed here (${message(error)})`;
          return rollBack('abandoned', why, [why]);
        }
        return keep('confirmed on the terminal');
      }
      return rollBack(end, end === 'expired' ? 'not confirmed in time' : 'terminated', []);
    },
  };
}
