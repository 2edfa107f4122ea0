import type { CellTargets } from '../model/cell-targets.js';
import type { LayoutConfig } from '../model/facts.js';
import { restoreSnapshot, type RestoreResult } from './restore-snapshot.js';
import { isAlive, readMarker, removeMarker } from './window-marker.js';

export type StaleWindow =
  | { readonly kind: 'none' }
  /** Another process holds an open window: `run` and `apply` refuse with this message. */
  | { readonly kind: 'open'; readonly message: string }
  /** The holder was killed (SIGKILL, a crash, a reboot): the window was never confirmed, so it is rolled back. */
  | { readonly kind: 'rolled-back'; readonly restore: RestoreResult };

/**
 * What `run` and `apply` do first. A window whose process is gone was not confirmed, and the promise
 * of the window is the previous state: it is restored before anything else (like Junos' rollback
 * of a `commit confirmed` after a reboot); the marker goes only once the rollback verified.
 */
export async function settleStaleWindow(statusDir: string, targets: CellTargets, layout: LayoutConfig): Promise<StaleWindow> {
  const marker = await readMarker(statusDir);
  if (marker === null) return { kind: 'none' };
  if (isAlive(marker.pid) && marker.pid !== process.pid) {
    return { kind: 'open', message: `a confirm window is open (pid ${marker.pid}, closes at ${marker.closes}): confirm it or wait for it to close` };
  }
  const restore = await restoreSnapshot(marker.snapshot, targets, layout);
  if (restore.restored) await removeMarker(statusDir);
  return { kind: 'rolled-back', restore };
}
