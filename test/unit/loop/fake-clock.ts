import type { RunnerClock } from '../../../src/loop/reconcile-runner.js';

/** A manual clock for the runner: time moves only in advance(); random() returns a settable draw. */
export class FakeClock implements RunnerClock {
  private time = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { due: number; fn: () => void }>();
  draw = 0.5;

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { due: this.time + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  random(): number {
    return this.draw;
  }

  /** When the earliest timer fires, or null. */
  nextDue(): number | null {
    const dues = [...this.timers.values()].map((t) => t.due);
    return dues.length === 0 ? null : Math.min(...dues);
  }

  /** Moves time forward, firing due timers in order and letting promise callbacks run in between. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await settle();
      const entry = [...this.timers.entries()].sort((a, b) => a[1].due - b[1].due)[0];
      if (entry === undefined || entry[1].due > end) break;
      this.timers.delete(entry[0]);
      this.time = entry[1].due;
      entry[1].fn();
    }
    this.time = end;
    await settle();
  }
}

/** Lets pending promise callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
