import { isCellWriteCommand } from '../apply/cell-write-command.js';
import type { LocatorByRole } from '../model/locator.js';
import { runningExecs } from '../targets/docker-running-execs.js';

export interface OrphanWaitOptions {
  readonly waitMs?: number;
  readonly pollMs?: number;
  /** One line for the operator while waiting. */
  readonly note: (line: string) => void;
}

/**
 * Docker cannot kill an exec'd process: a writer killed (or timed out) in the middle of a write
 * leaves its `iptables-restore` or `ip -batch` running in the container after the lock is free,
 * where the lock's inherited fd does not reach. The next writer, once it holds the lock, waits for
 * those to end instead of racing them. A container that cannot be inspected is skipped: the pass
 * that follows cannot write there either, and says so. Returns a refusal line, or null.
 */
export async function awaitOrphanWrites(targets: LocatorByRole, options: OrphanWaitOptions): Promise<string | null> {
  const containers = [...new Set(Object.values(targets).flatMap((t) => (t.kind === 'docker' ? [t.name] : [])))];
  if (containers.length === 0) return null;
  const waitMs = options.waitMs ?? 60_000;
  const started = performance.now();
  let announced = false;
  for (;;) {
    const pending = (await Promise.all(containers.map(writesRunningIn))).flat();
    const [first] = pending;
    if (first === undefined) return null;
    if (performance.now() - started > waitMs)
      return `a write an earlier writer left running still runs after ${Math.round(waitMs / 1000)} s (${first}); Docker cannot end it: end it inside the container, then retry`;
    if (!announced) {
      announced = true;
      options.note(
        `waiting up to ${Math.round(waitMs / 1000)} s for a write an earlier writer left running (${first})`,
      );
    }
    await new Promise((done) => setTimeout(done, options.pollMs ?? 200));
  }
}

async function writesRunningIn(container: string): Promise<string[]> {
  const running = await runningExecs(container).catch(() => []);
  return running.filter(isCellWriteCommand).map((argv) => `docker:${container}: ${argv.join(' ').slice(0, 120)}`);
}
