import { randomBytes } from 'node:crypto';
import { SYSTEM_CLOCK, type RunnerClock } from './reconcile-runner.js';

/** Every clock the loop reads, in one seam: the runner's timers, the wall clock for /status, a monotonic one for durations. */
export interface ControllerClock extends RunnerClock {
  /** Wall-clock time (status timestamps, the last-success metric). */
  date(): Date;
  /** Monotonic milliseconds (pass and step durations). */
  monotonicMs(): number;
}

export const SYSTEM_CONTROLLER_CLOCK: ControllerClock = {
  ...SYSTEM_CLOCK,
  date: () => new Date(),
  monotonicMs: () => performance.now(),
};

/** A short random id for one reconcile; it goes into every log line of the pass and into /status. */
export function randomReconcileId(): string {
  return randomBytes(4).toString('hex');
}
