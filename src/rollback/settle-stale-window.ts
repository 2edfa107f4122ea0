import type { CellTargets } from '../model/cell-targets.js';
import type { LayoutConfig } from '../model/facts.js';
import { restoreSnapshot, type RestoreResult } from './restore-snapshot.js';
import { isAlive, readMarker, removeMarker } from './window-marker.js';

export type StaleWindow =
  | { readonly kind: 'none' }
  /** The status folder holds the window of another cell: not ours to roll back; run and apply refuse. */
  | { readonly kind: 'other-cell'; readonly message: string }
  /** The holder was killed (SIGKILL, a crash, a reboot): the window was never confirmed, so it is rolled back. */
  | { readonly kind: 'rolled-back'; readonly restore: RestoreResult };

/**
 * What `run` and `apply` do first, once they hold the cell lock. The process of an open window
 * holds that lock for the whole window, so a marker of this cell found under it is stale (its
 * process is gone, whatever now runs under its pid) and was never confirmed: the promise of the
 * window is the previous state, restored before anything else (like Junos' rollback of a `commit
 * confirmed` after a reboot); the marker goes only once the rollback verified.
 */
export async function settleStaleWindow(
  statusDir: string,
  targets: CellTargets,
  layout: LayoutConfig,
): Promise<StaleWindow> {
  const marker = await readMarker(statusDir);
  if (marker === null) return { kind: 'none' };
  if (marker.cell !== targets.wireguard.locator) {
    return {
      kind: 'other-cell',
      message: `${statusDir}: holds a confirm window of cell ${marker.cell}, not ${targets.wireguard.locator}: give each cell its own status_dir`,
    };
  }
  const restore = await restoreSnapshot(marker.snapshot, targets, layout);
  if (restore.restored) await removeMarker(statusDir);
  return { kind: 'rolled-back', restore };
}

/** Why a writer must not start, when a live process holds a window in this status folder; null otherwise. */
export async function openWindowMessage(statusDir: string): Promise<string | null> {
  const marker = await readMarker(statusDir).catch(() => null);
  if (marker === null || !isAlive(marker.pid) || marker.pid === process.pid) return null;
  const closes = marker.closes === null ? 'its apply is still running' : `closes at ${marker.closes}`;
  return `a confirm window is open (pid ${marker.pid}, ${closes}): confirm it with \`pic-reconciler confirm\` or wait for it to close`;
}
