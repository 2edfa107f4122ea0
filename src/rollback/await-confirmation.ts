import { watch, type FSWatcher } from 'node:fs';
import type { SignalGuard } from './signal-guard.js';
import { isConfirmed } from './window-marker.js';

/** confirmed: keep the new state; expired or terminated: roll back (terminated: now, then exit). */
export type WindowEnd = 'confirmed' | 'expired' | 'terminated';

export interface AwaitOptions {
  readonly statusDir: string;
  readonly id: string;
  readonly closesAt: number;
  /** Read only when it is a terminal: `y` confirms, Ctrl-C rolls back now; a pipe or /dev/null is never read. */
  readonly stdin?: NodeJS.ReadStream;
  /** Installed before the apply: SIGTERM or SIGINT (even one during the apply) end the window. */
  readonly guard: SignalGuard;
  readonly now?: () => number;
  /** Called once everything that ends the window is listening: only then may the operator be told it is open. */
  readonly onOpen?: () => void;
}

// fs.watch can miss an event on some file systems (overlay, NFS): the file is also checked this often.
const RECHECK_MS = 1000;

/**
 * Waits for the end of a confirm window. Only `pic-reconciler confirm` (a file naming this
 * window) or a `y` typed on the terminal confirm: a lost terminal (SIGHUP) is noted by the guard
 * and the window goes on, standard input at end of file is ignored, and SIGTERM or SIGINT end
 * the window at once with a rollback.
 */
export function awaitConfirmation(options: AwaitOptions): Promise<WindowEnd> {
  const now = options.now ?? Date.now;
  return new Promise<WindowEnd>((resolve) => {
    let done = false;
    let watcher: FSWatcher | null = null;
    const finish = (end: WindowEnd): void => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      clearInterval(recheck);
      watcher?.close();
      if (options.stdin?.isTTY) {
        options.stdin.off('data', key);
        options.stdin.pause();
        try {
          options.stdin.setRawMode(false);
        } catch {
          // The terminal is gone (SIGHUP): there is no mode left to restore.
        }
      }
      resolve(end);
    };
    const check = (): void => {
      void isConfirmed(options.statusDir, options.id).then((yes) => {
        if (yes) finish('confirmed');
      });
    };
    const key = (data: Buffer): void => {
      const text = data.toString('utf8');
      if (text.includes('\u0003')) finish('terminated');
      else if (/[yY]/.test(text)) finish('confirmed');
    };
    // `confirm` refuses once the window has closed; one that wrote just before still counts.
    const expire = (): void =>
      void isConfirmed(options.statusDir, options.id).then((yes) => finish(yes ? 'confirmed' : 'expired'));
    const deadline = setTimeout(expire, Math.max(0, options.closesAt - now()));
    const recheck = setInterval(check, RECHECK_MS);
    try {
      watcher = watch(options.statusDir, check);
      watcher.on('error', () => undefined);
    } catch {
      // The recheck interval still finds the confirmation.
    }
    if (options.stdin?.isTTY) {
      options.stdin.setRawMode(true);
      // A lost terminal errors its reads (EIO): never a reason to end the window, nor a crash.
      options.stdin.on('error', () => undefined);
      options.stdin.on('data', key);
      options.stdin.resume();
    }
    // Last, so that a SIGTERM that came during the apply finishes (and undoes the above) at once.
    options.guard.onTerminate(() => finish('terminated'));
    if (done) return;
    options.onOpen?.();
    check();
  });
}
