import { randomBytes } from 'node:crypto';
import type { CellTargets } from '../model/cell-targets.js';
import type { LayoutConfig } from '../model/facts.js';
import { awaitConfirmation, type WindowEnd } from './await-confirmation.js';
import type { CellSnapshot } from './cell-snapshot.js';
import { restoreSnapshot, type RestoreResult } from './restore-snapshot.js';
import { removeMarker, writeMarker } from './window-marker.js';

export interface ConfirmWindowOptions {
  /** Taken before the apply (takeSnapshot). */
  readonly snapshot: CellSnapshot;
  readonly targets: CellTargets;
  readonly layout: LayoutConfig;
  readonly statusDir: string;
  readonly seconds: number;
  /** How the operator confirms from another shell, e.g. `pic-reconciler confirm --state state`. */
  readonly confirmCommand: string;
  readonly stdin?: NodeJS.ReadStream;
  readonly signals?: NodeJS.EventEmitter;
  /** One line for the operator (stderr in the CLI). */
  readonly print: (line: string) => void;
  readonly now?: () => number;
}

export interface ConfirmWindowResult {
  readonly end: WindowEnd;
  /** The rollback, when there was one. */
  readonly restore: RestoreResult | null;
}

/**
 * The window after a verified apply: open the marker, say how to confirm and when the window
 * closes, wait, and unless confirmed put the snapshot back and verify it. A rollback that did not
 * fully succeed leaves the marker in place, so the next run or apply tries again.
 */
export async function runConfirmWindow(options: ConfirmWindowOptions): Promise<ConfirmWindowResult> {
  const now = options.now ?? Date.now;
  const opened = now();
  const closesAt = opened + options.seconds * 1000;
  const id = randomBytes(16).toString('hex');
  await writeMarker(options.statusDir, {
    id, pid: process.pid, opened: new Date(opened).toISOString(), closes: new Date(closesAt).toISOString(), snapshot: options.snapshot,
  });
  const terminal = options.stdin?.isTTY === true ? ', or type y here' : '';
  const end = await awaitConfirmation({
    statusDir: options.statusDir, id, closesAt, now,
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
    ...(options.signals === undefined ? {} : { signals: options.signals }),
    onNote: options.print,
    onOpen: () =>
      options.print(`applied; confirm within ${options.seconds} s with \`${options.confirmCommand}\`${terminal}. The window closes at ${new Date(closesAt).toISOString()}; then the previous state is restored.`),
  });
  if (end === 'confirmed') {
    await removeMarker(options.statusDir);
    options.print('confirmed: the new state stays');
    return { end, restore: null };
  }
  options.print(end === 'expired' ? 'not confirmed in time: restoring the previous state' : 'terminated: restoring the previous state now');
  const restore = await restoreSnapshot(options.snapshot, options.targets, options.layout);
  if (restore.restored) await removeMarker(options.statusDir);
  options.print(restore.restored ? 'restored and verified: the cell is as it was before the apply' : `rollback incomplete: ${restore.errors.join('; ')}`);
  return { end, restore };
}
