import type { EventEmitter } from 'node:events';

/**
 * Holds SIGTERM, SIGINT and SIGHUP from the moment a confirm window's marker is written (before
 * the apply) until its rollback is done, so no signal can leave the new state behind without a
 * window. SIGTERM and SIGINT are remembered (the window then ends at once with a rollback);
 * SIGHUP (the terminal is gone) is only noted.
 */
export interface SignalGuard {
  /** True once SIGTERM or SIGINT arrived. */
  readonly terminated: boolean;
  /** Called once, at the first SIGTERM or SIGINT (at once if one came already). */
  onTerminate(listener: () => void): void;
  release(): void;
}

export function guardSignals(signals: EventEmitter, onHangup: (message: string) => void): SignalGuard {
  let terminated = false;
  const listeners: (() => void)[] = [];
  const terminate = (): void => {
    if (terminated) return;
    terminated = true;
    for (const listener of listeners.splice(0)) listener();
  };
  const hangup = (): void =>
    onHangup('SIGHUP: the terminal is gone; the window stays open and rolls back unless confirmed');
  signals.on('SIGTERM', terminate);
  signals.on('SIGINT', terminate);
  signals.on('SIGHUP', hangup);
  return {
    get terminated() {
      return terminated;
    },
    onTerminate(listener) {
      if (terminated) listener();
      else listeners.push(listener);
    },
    release() {
      listeners.length = 0;
      signals.off('SIGTERM', terminate);
      signals.off('SIGINT', terminate);
      signals.off('SIGHUP', hangup);
    },
  };
}
