import { join } from 'node:path';
import { writeFileAtomic } from '../apply/write-file-atomic.js';
import { CONFIRMATION_FILE, isAlive, PRIVATE_MODE, readMarker } from './window-marker.js';

export type ConfirmOutcome =
  { readonly ok: true; readonly message: string } | { readonly ok: false; readonly message: string };

/**
 * What `pic-reconciler confirm` does: answers the open window of this status folder and cell
 * (exit 0), or says why there is none (exit 1). It writes a file the window's process watches and
 * never takes the cell lock (that process holds it).
 */
export async function confirmOpenWindow(
  statusDir: string,
  cell: string,
  now: () => Date = () => new Date(),
): Promise<ConfirmOutcome> {
  const marker = await readMarker(statusDir);
  if (marker === null) return { ok: false, message: `nothing to confirm: no confirm window is open in ${statusDir}` };
  if (marker.cell !== cell)
    return {
      ok: false,
      message: `nothing to confirm for ${cell}: the window in ${statusDir} is of cell ${marker.cell}`,
    };
  if (!isAlive(marker.pid))
    return {
      ok: false,
      message: `nothing to confirm: the window opened by pid ${marker.pid} was left open (the process is gone); the next run or apply rolls it back`,
    };
  if (marker.closes === null)
    return {
      ok: false,
      message: 'nothing to confirm yet: the apply is still running; confirm once it prints "confirm within"',
    };
  if (Date.parse(marker.closes) <= now().getTime())
    return { ok: false, message: `nothing to confirm: the window closed at ${marker.closes}` };
  await writeFileAtomic(join(statusDir, CONFIRMATION_FILE), `${marker.id}\n`, { privateMode: PRIVATE_MODE });
  return { ok: true, message: `confirmed: the apply of ${marker.opened} stays` };
}
