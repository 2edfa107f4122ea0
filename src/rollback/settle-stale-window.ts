import { liveness } from '../lock/process-identity.js';
import type { CellTargets } from '../model/cell-targets.js';
import type { LayoutConfig } from '../model/facts.js';
import { restoreSnapshot, type RestoreResult } from './restore-snapshot.js';
import { readMarker, removeMarker } from './window-marker.js';
import { isRequested, readResult, removeRequest, writeResult } from './window-record.js';

export type StaleWindow =
  | { readonly kind: 'none' }
  /** The status folder holds the window of another cell: not ours to roll back; run and apply refuse. */
  | { readonly kind: 'other-cell'; readonly message: string }
  /** Its process was gone, but the window had been confirmed (the request was on disk): the new state stays. */
  | { readonly kind: 'confirmed' }
  /** The holder was killed (SIGKILL, a crash, a reboot) before a confirmation: the window is rolled back. */
  | { readonly kind: 'rolled-back'; readonly restore: RestoreResult };

/**
 * What `run` and `apply` do first, once they hold the cell lock. The process of an open window
 * holds that lock for the whole window, so a marker of this cell found under it is stale (its
 * process is gone). A window still `applied` whose request is on disk, or whose result says
 * confirmed, was confirmed: it is kept. Any other is the promise of the window, the previous
 * state, restored before anything else (like Junos' rollback of a `commit confirmed` after a
 * reboot); the marker goes only once the rollback verified.
 */
export async function settleStaleWindow(
  statusDir: string,
  targets: CellTargets,
  layout: LayoutConfig,
  now: () => Date = () => new Date(),
): Promise<StaleWindow> {
  const marker = await readMarker(statusDir);
  if (marker === null) return { kind: 'none' };
  if (marker.cell !== targets.wireguard.locator) {
    return {
      kind: 'other-cell',
      message: `${statusDir}: holds a confirm window of cell ${marker.cell}, not ${targets.wireguard.locator}: give each cell its own status_dir`,
    };
  }
  const record = (outcome: 'confirmed' | 'rolled-back', why: string, errors: readonly string[]) =>
    writeResult(statusDir, { id: marker.id, outcome, why, at: now().toISOString(), errors: [...errors] }).catch(
      () => undefined,
    );
  const confirmed =
    (marker.state === 'applied' && (await isRequested(statusDir, marker.id))) ||
    (await readResult(statusDir, marker.id))?.outcome === 'confirmed';
  if (confirmed) {
    await record('confirmed', 'confirmed before its process ended', []);
    if (await removeMarker(statusDir)) await removeRequest(statusDir);
    return { kind: 'confirmed' };
  }
  const restore = await restoreSnapshot(marker.snapshot, targets, layout);
  if (restore.restored) {
    await record('rolled-back', 'its process ended before a confirmation; rolled back by the next writer', []);
    if (await removeMarker(statusDir)) await removeRequest(statusDir);
  }
  return { kind: 'rolled-back', restore };
}

/** Why a writer must not start, when a live process holds a window in this status folder; null otherwise. */
export async function openWindowMessage(statusDir: string): Promise<string | null> {
  const marker = await readMarker(statusDir).catch(() => null);
  if (marker === null || marker.process.pid === process.pid || liveness(marker.process) === 'gone') return null;
  const closes = marker.closes === null ? 'its apply is still running' : `closes at ${marker.closes}`;
  return `a confirm window is open (pid ${marker.process.pid}, ${closes}): confirm it with \`pic-reconciler confirm\` or wait for it to close`;
}
