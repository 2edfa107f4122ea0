import { watch, type FSWatcher } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import type { SignalGuard } from './signal-guard.js';
import { remainingMs, type Deadline, type MonotonicClock } from './window-clock.js';
import { isRequested } from './window-record.js';

/** requested: `confirm` wrote a request; typed: `y` on the terminal; expired, terminated: roll back. */
export type WaitEnd = 'requested' | 'typed' | 'expired' | 'terminated';

export interface AwaitOptions {
  readonly statusDir: string;
  readonly id: string;
  readonly deadline: Deadline;
  /** Read only when it is a terminal, a whole line at a time; a pipe or /dev/null is never read. */
  readonly stdin?: NodeJS.ReadStream;
  /** Installed before the apply: SIGTERM or SIGINT (even one during the apply) end the window. */
  readonly guard: SignalGuard;
  readonly clock?: MonotonicClock;
  /** Called once everything that ends the window is listening: only then may the operator be told it is open. */
  readonly onOpen?: () => void;
  /** A line typed that is not y or yes. */
  readonly onOtherLine?: (line: string) => void;
}

// fs.watch can miss an event on some file systems (overlay, NFS): the file is also checked this often.
const RECHECK_MS = 1000;
// A timer can fire a little early; the deadline is checked again against the clock before it expires.
const EARLY_MS = 5;

/**
 * Waits for the end of a confirm window. Only `pic-reconciler confirm` (a request naming this
 * window) or a whole line `y` or `yes` typed on the terminal confirm. The terminal stays in its
 * cooked mode, so Ctrl-C arrives as SIGINT through the guard; a lost terminal (SIGHUP) is noted
 * by the guard and the window goes on; standard input at end of file is ignored; SIGTERM or
 * SIGINT end the window at once with a rollback.
 */
export function awaitConfirmation(options: AwaitOptions): Promise<WaitEnd> {
  return new Promise<WaitEnd>((resolve) => {
    let done = false;
    let watcher: FSWatcher | null = null;
    let lines: Interface | null = null;
    let deadlineTimer: NodeJS.Timeout | undefined;
    const finish = (end: WaitEnd): void => {
      if (done) return;
      done = true;
      clearTimeout(deadlineTimer);
      clearInterval(recheck);
      watcher?.close();
      lines?.close();
      options.stdin?.pause();
      resolve(end);
    };
    const check = (): void => {
      void isRequested(options.statusDir, options.id).then((yes) => {
        if (yes) finish('requested');
      });
    };
    // A request on disk by the deadline counts: `confirm` refuses only once the deadline has passed.
    const expire = (): void => {
      const left = remainingMs(options.deadline, options.clock);
      if (left > EARLY_MS) {
        deadlineTimer = setTimeout(expire, left);
        return;
      }
      void isRequested(options.statusDir, options.id).then((yes) => finish(yes ? 'requested' : 'expired'));
    };
    deadlineTimer = setTimeout(expire, Math.max(0, remainingMs(options.deadline, options.clock)));
    const recheck = setInterval(check, RECHECK_MS);
    try {
      watcher = watch(options.statusDir, check);
      watcher.on('error', () => undefined);
    } catch {
      // The recheck interval still finds the request.
    }
    if (options.stdin?.isTTY) {
      // A lost terminal errors its reads (EIO): never a reason to end the window, nor a crash.
      options.stdin.on('error', () => undefined);
      lines = createInterface({ input: options.stdin, terminal: false });
      lines.on('line', (line) => {
        if (/^\s*y(es)?\s*$/i.test(line)) finish('typed');
        else if (line.trim() !== '') options.onOtherLine?.(line);
      });
    }
    // Last, so that a SIGTERM that came during the apply finishes (and undoes the above) at once.
    options.guard.onTerminate(() => finish('terminated'));
    if (done) return;
    options.onOpen?.();
    check();
  });
}
