import { liveness } from '../lock/process-identity.js';
import { monotonicMs, remainingMs, type MonotonicClock } from './window-clock.js';
import { readMarker, type WindowMarker } from './window-marker.js';
import { isRequested, readResult, writeRequest, type WindowResult } from './window-record.js';

export interface ConfirmOutcome {
  readonly ok: boolean;
  readonly message: string;
}

export interface ConfirmOptions {
  readonly clock?: MonotonicClock;
  readonly pollMs?: number;
  /** How long past the deadline to wait for the window's answer (a rollback takes a while). */
  readonly answerGraceMs?: number;
}

/**
 * What `pic-reconciler confirm` does: writes a request naming the open window of this status
 * folder and cell, then waits for the window's own answer (its result file) and says what really
 * happened: exit 0 only when the new state stays. It never takes the cell lock (the window's
 * process holds it). Time is the window's monotonic deadline, never the wall clock.
 */
export async function confirmOpenWindow(
  statusDir: string,
  cell: string,
  options: ConfirmOptions = {},
): Promise<ConfirmOutcome> {
  const clock = options.clock ?? monotonicMs;
  const marker = await readMarker(statusDir);
  const refuse = (message: string): ConfirmOutcome => ({ ok: false, message });
  if (marker === null) return refuse(`nothing to confirm: no confirm window is open in ${statusDir}`);
  if (marker.cell !== cell)
    return refuse(`nothing to confirm for ${cell}: the window in ${statusDir} is of cell ${marker.cell}`);
  if (liveness(marker.process) === 'gone')
    return refuse(
      `nothing to confirm: the window opened by pid ${marker.process.pid} was left open (the process is gone); the next run or apply rolls it back`,
    );
  if (marker.state === 'armed')
    return refuse('nothing to confirm yet: the apply is still running; confirm once it prints "confirm within"');
  if (marker.state !== 'applied' || marker.deadline === null || remainingMs(marker.deadline, clock) <= 0)
    return refuse(`nothing to confirm: the window closed at ${marker.closes ?? 'its deadline'} and rolls back`);
  try {
    await writeRequest(statusDir, marker.id);
  } catch (error) {
    return refuse(`could not write the confirmation in ${statusDir}: ${(error as Error).message}`);
  }
  const waitUntil = clock() + remainingMs(marker.deadline, clock) + (options.answerGraceMs ?? 120_000);
  return awaitAnswer(statusDir, marker, clock, waitUntil, options.pollMs ?? 100);
}

async function awaitAnswer(
  statusDir: string,
  marker: WindowMarker,
  clock: MonotonicClock,
  waitUntil: number,
  pollMs: number,
): Promise<ConfirmOutcome> {
  for (;;) {
    const result = await readResult(statusDir, marker.id);
    if (result !== null) return answer(result, marker);
    const current = await readMarker(statusDir).catch(() => null);
    const gone = liveness(marker.process) === 'gone';
    if (gone || current?.id !== marker.id) {
      const late = await readResult(statusDir, marker.id);
      if (late !== null) return answer(late, marker);
      if (current?.id === marker.id && current.state === 'applied' && (await isRequested(statusDir, marker.id)))
        return {
          ok: true,
          message: `confirmed: the window's process (pid ${marker.process.pid}) ended before it answered, but the confirmation is on disk; the next run or apply keeps the new state`,
        };
      return {
        ok: false,
        message: `the window (pid ${marker.process.pid}) ended without recording what it decided (could ${statusDir} be full or read-only?); its terminal says, or see the cell with \`pic-reconciler plan\``,
      };
    }
    if (clock() > waitUntil)
      return {
        ok: false,
        message: `the confirmation is written, but the window (pid ${marker.process.pid}) has not answered; it still decides`,
      };
    await new Promise((done) => setTimeout(done, pollMs));
  }
}

function answer(result: WindowResult, marker: WindowMarker): ConfirmOutcome {
  if (result.outcome === 'confirmed') return { ok: true, message: `confirmed: the apply of ${marker.opened} stays` };
  const detail = result.outcome === 'rolled-back' ? 'restored and verified' : `incomplete: ${result.errors.join('; ')}`;
  return { ok: false, message: `too late: the window ended (${result.why}) and rolled back (${detail})` };
}
