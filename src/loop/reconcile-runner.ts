/**
 * Single-flight, level-triggered runner (controller-runtime's queue + rate limiter, for one key).
 *
 * Every trigger only marks the cell dirty; at most one pass runs at a time; a pass starts no
 * sooner than `minIntervalMs` after the previous one started. Triggers that arrive during a
 * pass coalesce into exactly one more pass. A failed pass is retried after an exponential
 * backoff with "equal jitter" (a delay drawn from [ceiling/2, ceiling]); success or a
 * terminal outcome clears it. A new trigger is new work, not a retry: like controller-runtime's
 * Add, it does not wait out the backoff (only the minimum interval), so a container that comes
 * back is repaired at once. Time and randomness are injected.
 */

export type PassOutcome = 'success' | 'failure' | 'terminal';

export interface RunnerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  random(): number;
}

export const SYSTEM_CLOCK: RunnerClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  random: () => Math.random(),
};

export interface RunnerOptions {
  readonly minIntervalMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly clock?: RunnerClock;
}

export const RETRY_TRIGGER = 'retry';

/** The delay before retry number `failures` (1 = first retry), for a random draw in [0, 1). */
export function backoffDelay(
  failures: number,
  draw: number,
  options: Pick<RunnerOptions, 'backoffBaseMs' | 'backoffMaxMs'>,
): number {
  if (failures <= 0) return 0;
  const ceiling = Math.min(options.backoffMaxMs, options.backoffBaseMs * 2 ** (failures - 1));
  return Math.round(ceiling / 2 + (draw * ceiling) / 2);
}

export class ReconcileRunner {
  private readonly clock: RunnerClock;
  private running: Promise<void> | null = null;
  private dirty = false;
  private triggers = new Set<string>();
  private timer: unknown = null;
  private timerDue = 0;
  private lastStart = Number.NEGATIVE_INFINITY;
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly pass: (triggers: readonly string[]) => Promise<PassOutcome>,
    private readonly options: RunnerOptions,
  ) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
  }

  /** Marks the cell dirty for `reason`; a pass follows after `delayMs`, or as soon as the pacing allows. */
  trigger(reason: string, delayMs = 0): void {
    if (this.stopped) return;
    this.triggers.add(reason);
    this.dirty = true;
    if (this.running === null) this.schedule(delayMs);
  }

  /** Consecutive failed passes; 0 after a success. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** True while a pass runs. */
  get busy(): boolean {
    return this.running !== null;
  }

  /** Stops scheduling; resolves when the pass in flight (if any) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Arms the timer for `delayMs` from now (but not before the minimum interval), unless it is due sooner already. */
  private schedule(delayMs: number): void {
    const now = this.clock.now();
    const due = Math.max(now + delayMs, this.lastStart + this.options.minIntervalMs);
    if (this.timer !== null) {
      if (this.timerDue <= due) return;
      this.clock.clearTimeout(this.timer);
    }
    this.timerDue = due;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = null;
        this.start();
      },
      Math.max(0, due - now),
    );
  }

  private start(): void {
    if (this.stopped || this.running !== null || !this.dirty) return;
    this.dirty = false;
    const triggers = [...this.triggers];
    this.triggers = new Set();
    this.lastStart = this.clock.now();
    this.running = this.pass(triggers)
      .catch((): PassOutcome => 'failure')
      .then((outcome) => this.finish(outcome));
  }

  private finish(outcome: PassOutcome): void {
    this.running = null;
    if (this.stopped) return;
    if (outcome !== 'failure') {
      this.failures = 0;
      if (this.dirty) this.schedule(0);
      return;
    }
    this.failures++;
    // Triggers that came in during the failed pass are new work: they do not wait for the backoff.
    const newWork = this.dirty;
    this.trigger(RETRY_TRIGGER, newWork ? 0 : backoffDelay(this.failures, this.clock.random(), this.options));
  }
}
