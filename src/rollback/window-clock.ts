import { bootId } from '../lock/process-identity.js';

/**
 * The window's one clock: CLOCK_MONOTONIC (process.hrtime), which is the same in every process
 * of one boot and does not move when NTP or an operator steps the wall clock — a board without
 * a battery-backed clock may jump years at its first sync. The wall time in a marker (`closes`)
 * is only for people to read.
 */
export interface Deadline {
  readonly boot: string;
  readonly monotonicMs: number;
}

export type MonotonicClock = () => number;

export const monotonicMs: MonotonicClock = () => Number(process.hrtime.bigint() / 1_000_000n);

export function deadlineIn(ms: number, clock: MonotonicClock = monotonicMs): Deadline {
  return { boot: bootId(), monotonicMs: clock() + ms };
}

/** Milliseconds left (≤ 0 once passed); 0 for a deadline of another boot, whose window is over. */
export function remainingMs(deadline: Deadline, clock: MonotonicClock = monotonicMs): number {
  return deadline.boot === bootId() ? deadline.monotonicMs - clock() : 0;
}
