/**
 * Single-flight, level-triggered runner (controller-runtime's queue + rate limiter, for one key).
 *
 * Every trigger only marks "dirty"; at most one pass runs at a time; a pass starts no sooner
 * than `minIntervalMs` after the previous one started; a failed pass is retried with
 * exponential backoff and full jitter, and success clears the backoff. Triggers that arrive
 * during a pass coalesce into exactly one more pass. Time and randomness are injected.
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

  /** Marks the cell dirty for `reason`; a pass follows as soon as the pacing allows. */
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

  /** Stops scheduling; resolves when the pass in flight (if any) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private backoffMs(): number {
    if (this.failures === 0) return 0;
    const ceiling = Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** (this.failures - 1));
    return Math.round(ceiling / 2 + (this.clock.random() * ceiling) / 2);
  }

  private schedule(extraDelayMs: number): void {
    const now = this.clock.now();
    const due = Math.max(now + extraDelayMs, this.lastStart + this.options.minIntervalMs);
    if (this.timer !== null) {
      if (this.timerDue <= due) return;
      this.clock.clearTimeout(this.timer);
    }
    this.timerDue = due;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.start();
    }, Math.max(0, due - now));
  }

  private start(): void {
    if (this.stopped || this.running !== null || !this.dirty) return;
    this.dirty = false;
    const triggers = [...this.triggers];
    this.triggers = new Set();
    this.lastStart = this.clock.now();
    this.running = this.pass(triggers)
      .catch((): PassOutcome => 'failure')
      .then((outcome) => {
        this.running = null;
        if (outcome === 'failure') {
          this.failures++;
          this.trigger('retry', this.backoffMs());
        } else {
          this.failures = 0;
          if (this.dirty) this.schedule(0);
        }
      });
  }
}
