import { timedOutDetail } from './exec-defaults.js';

/** Thrown by withDeadline; callers turn it into an ExecError naming the command. */
export class DeadlineExceeded extends Error {
  constructor(readonly ms: number) {
    super(timedOutDetail(ms));
    this.name = 'DeadlineExceeded';
  }
}

/**
 * Settles like `work`, or rejects with DeadlineExceeded after `ms` and calls `onTimeout` so the
 * caller can release what the work holds (a socket, a child).
 */
export function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => void = () => undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout();
      reject(new DeadlineExceeded(ms));
    }, ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * withDeadline for work that can be cancelled: `work` gets a signal that aborts when the deadline
 * passes, so requests still in flight are dropped, not left open.
 */
export function withAbortableDeadline<T>(
  ms: number,
  work: (signal: AbortSignal) => Promise<T>,
  onTimeout: () => void = () => undefined,
): Promise<T> {
  const controller = new AbortController();
  return withDeadline(work(controller.signal), ms, () => {
    controller.abort();
    onTimeout();
  });
}
