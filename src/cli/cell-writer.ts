import { join, resolve } from 'node:path';
import type { ControllerConfig } from '../config/controller-config.js';
import { holdCellLock } from '../lock/cell-lock.js';
import type { CellTargets } from '../model/cell-targets.js';
import type { LayoutConfig } from '../model/facts.js';
import { openWindowMessage, settleStaleWindow } from '../rollback/settle-stale-window.js';
import { MARKER_FILE } from '../rollback/window-marker.js';
import { escapeUntrusted } from '../text/escape-untrusted.js';
import { awaitOrphanWrites } from './await-orphan-writes.js';
import { printError } from './cli-common.js';

/** The status folder (last-good state, the confirm window), as the controller picks it. */
export function statusDirOf(config: ControllerConfig, stateDir: string): string {
  return config.status_dir ?? join(resolve(stateDir), '.status');
}

/**
 * What `run` and `apply` do before they change a cell: take the cell lock for the rest of the
 * process (a refusal names the open confirm window when that is the holder), then roll back a
 * window its process left open (SIGKILL, crash, reboot). False after printing why not.
 */
export async function takeCellForWriting(
  config: ControllerConfig,
  stateDir: string,
  targets: CellTargets,
  layout: LayoutConfig,
): Promise<boolean> {
  const statusDir = statusDirOf(config, stateDir);
  const refusal = await holdCellLock(config.targets.wireguard, config.lock_dir, (line) =>
    process.stderr.write(`${escapeUntrusted(line)}\n`),
  );
  if (refusal !== null) {
    printError((await openWindowMessage(statusDir)) ?? refusal);
    return false;
  }
  // Before anything is written, the rollback of a stale window included.
  const orphans = await awaitOrphanWrites(config.targets, {
    note: (line) => process.stderr.write(`${escapeUntrusted(line)}\n`),
  });
  if (orphans !== null) {
    printError(orphans);
    return false;
  }
  let stale;
  try {
    stale = await settleStaleWindow(statusDir, targets, layout);
  } catch (error) {
    printError(`cannot settle the confirm window left in ${statusDir}: ${(error as Error).message}`);
    return false;
  }
  if (stale.kind === 'other-cell') {
    printError(stale.message);
    return false;
  }
  if (stale.kind === 'confirmed')
    process.stderr.write(
      'confirm window: the one left open by a process that is gone had been confirmed; the new state stays\n',
    );
  if (stale.kind === 'rolled-back') {
    if (!stale.restore.restored) {
      // The marker stays so the next writer tries again; one that can never succeed needs the operator's word.
      printError(
        `a confirm window was left open (its process is gone) and its rollback is incomplete: ${stale.restore.errors.join('; ')}; fix that and retry, or remove ${join(statusDir, MARKER_FILE)} to go on from the cell as it is`,
      );
      return false;
    }
    const except =
      stale.restore.collisions.length > 0
        ? `, except where someone else's entry now stands: ${stale.restore.collisions.join('; ')}`
        : '';
    process.stderr.write(
      `${escapeUntrusted(`confirm window: the one left open by a process that is gone was rolled back to its snapshot first${except}`)}\n`,
    );
  }
  return true;
}
