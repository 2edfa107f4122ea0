import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { CellTargets } from '../model/cell-targets.js';
import type { LayoutConfig } from '../model/facts.js';
import { awaitConfirmation, type WindowEnd } from './await-confirmation.js';
import type { CellSnapshot } from './cell-snapshot.js';
import { restoreSnapshot, type RestoreResult } from './restore-snapshot.js';
import { guardSignals } from './signal-guard.js';
import { removeMarker, writeMarker, type WindowMarker } from './window-marker.js';

export interface OpenWindowOptions {
  /** Taken before the apply (takeSnapshot). */
  readonly snapshot: CellSnapshot;
  readonly targets: CellTargets;
  readonly layout: LayoutConfig;
  readonly statusDir: string;
  readonly signals?: EventEmitter;
  /** One line for the operator (stderr in the CLI). */
  readonly print: (line: string) => void;
  readonly now?: () => number;
}

export interface WaitOptions {
  readonly seconds: number;
  /** How the operator confirms from another shell, e.g. `pic-reconciler confirm --state /srv/state`. */
  readonly confirmCommand: string;
  readonly stdin?: NodeJS.ReadStream;
}

export interface ConfirmWindowResult {
  /** not-applied: the apply did not verify, so the window rolled back without waiting. */
  readonly end: WindowEnd | 'not-applied';
  /** The rollback, when there was one. */
  readonly restore: RestoreResult | null;
}

export interface ConfirmWindow {
  /** After a verified apply: say how to confirm and when the window closes, wait, and unless confirmed roll back. */
  wait(options: WaitOptions): Promise<ConfirmWindowResult>;
  /** After an apply that did not verify: roll back now. */
  abandon(): Promise<ConfirmWindowResult>;
}

/**
 * Opens a window BEFORE the apply: the signal guard first, then the marker (with the snapshot,
 * not yet confirmable), so a SIGTERM during the apply still ends in a rollback and a SIGKILL
 * leaves a marker the next run or apply rolls back. A rollback that did not fully succeed leaves
 * the marker in place, so the next run or apply tries again.
 */
export async function openConfirmWindow(options: OpenWindowOptions): Promise<ConfirmWindow> {
  const now = options.now ?? Date.now;
  const guard = guardSignals(options.signals ?? process, options.print);
  const base = {
    id: randomBytes(16).toString('hex'),
    pid: process.pid,
    cell: options.targets.wireguard.locator,
    opened: new Date(now()).toISOString(),
    snapshot: options.snapshot,
  };
  const marker = (closes: string | null): WindowMarker => ({ ...base, closes });
  try {
    await writeMarker(options.statusDir, marker(null));
  } catch (error) {
    guard.release();
    throw error;
  }

  const rollBack = async (end: ConfirmWindowResult['end'], why: string): Promise<ConfirmWindowResult> => {
    options.print(`${why}: restoring the previous state`);
    try {
      const restore = await restoreSnapshot(options.snapshot, options.targets, options.layout);
      if (restore.restored) await removeMarker(options.statusDir);
      options.print(
        restore.restored
          ? 'restored and verified: the cell is as it was before the apply'
          : `rollback incomplete (the next run or apply tries again): ${restore.errors.join('; ')}`,
      );
      return { end, restore };
    } finally {
      guard.release();
    }
  };

  return {
    abandon: () => rollBack('not-applied', 'the apply did not verify'),
    async wait(wait) {
      const closesAt = now() + wait.seconds * 1000;
      const closes = new Date(closesAt).toISOString();
      await writeMarker(options.statusDir, marker(closes));
      const terminal = wait.stdin?.isTTY === true ? ', or type y here' : '';
      const end = await awaitConfirmation({
        statusDir: options.statusDir,
        id: base.id,
        closesAt,
        now,
        guard,
        ...(wait.stdin === undefined ? {} : { stdin: wait.stdin }),
        onOpen: () =>
          options.print(
            `applied; confirm within ${wait.seconds} s with \`${wait.confirmCommand}\`${terminal}. The window closes at ${closes}; then the previous state is restored.`,
          ),
      });
      if (end === 'confirmed') {
        await removeMarker(options.statusDir);
        guard.release();
        options.print('confirmed: the new state stays');
        return { end, restore: null };
      }
      return rollBack(end, end === 'expired' ? 'not confirmed in time' : 'terminated');
    },
  };
}
