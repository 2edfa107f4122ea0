import { isCellWriteCommand } from '../apply/cell-write-command.js';
import { runningExecs } from './docker-running-execs.js';

export interface DockerWritesWait {
  readonly waitMs: number;
  readonly pollMs?: number;
  /** One line for the operator, once, when there is something to wait for. */
  readonly note?: (line: string) => void;
}

/**
 * Docker cannot kill an exec'd process: a write that was abandoned (its writer killed, its exec
 * timed out) may still be running in the container. This waits until no exec of ours (an
 * iptables restore or `ip -force -batch`) runs in any of `containers`, and until every exec could
 * be seen; a container that cannot be inspected at all is skipped (nothing can be written there
 * either). Returns a refusal line naming what still runs, or null.
 */
export async function awaitDockerWrites(
  containers: readonly string[],
  options: DockerWritesWait,
): Promise<string | null> {
  const started = performance.now();
  let announced = false;
  for (;;) {
    const pending = (await Promise.all(containers.map(pendingIn))).flat();
    const [first] = pending;
    if (first === undefined) return null;
    if (performance.now() - started > options.waitMs)
      return `a write an earlier writer left running still runs after ${Math.round(options.waitMs / 1000)} s (${first}); Docker cannot end it: end it inside the container, then retry`;
    if (!announced) {
      announced = true;
      options.note?.(
        `waiting up to ${Math.round(options.waitMs / 1000)} s for a write an earlier writer left running (${first})`,
      );
    }
    await new Promise((done) => setTimeout(done, options.pollMs ?? 200));
  }
}

async function pendingIn(container: string): Promise<string[]> {
  const { reachable, running, unseen } = await runningExecs(container);
  if (!reachable) return [];
  return [
    ...running
      .filter(({ argv }) => isCellWriteCommand(argv))
      .map(({ argv, pid }) => `docker:${container}: pid ${pid}: ${argv.join(' ').slice(0, 120)}`),
    ...unseen,
  ];
}
