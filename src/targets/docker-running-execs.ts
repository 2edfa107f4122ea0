import type Docker from 'dockerode';
import { withDeadline } from './deadline.js';
import { dockerClient } from './docker-client.js';
import { DEFAULT_EXEC_TIMEOUT_MS } from './exec-defaults.js';

export interface RunningExecs {
  /** False when the container itself could not be inspected (no daemon, no container). */
  readonly reachable: boolean;
  /** The command lines of the execs running now, each with the exec's host pid. */
  readonly running: readonly { readonly argv: readonly string[]; readonly pid: number }[];
  /** Execs (or the container) that could not be inspected: not known to have ended. */
  readonly unseen: readonly string[];
}

/** A few at a time: a container with many exec IDs must not exhaust our descriptors. */
const AT_ONCE = 8;

/**
 * The execs running in a container now. Docker keeps a container's exec IDs (running and
 * recently ended); one that is gone (404) between the two calls has ended. Any other failure,
 * a daemon that does not answer included (each call has the exec deadline), is unseen, not ended.
 */
export async function runningExecs(container: string, docker: Docker = dockerClient()): Promise<RunningExecs> {
  const ask = <T>(work: Promise<T>): Promise<T> => withDeadline(work, DEFAULT_EXEC_TIMEOUT_MS);
  let ids: readonly string[];
  try {
    ids = (await ask(docker.getContainer(container).inspect())).ExecIDs ?? [];
  } catch (error) {
    return {
      reachable: false,
      running: [],
      unseen: [`docker:${container}: cannot inspect the container: ${reason(error)}`],
    };
  }
  const running: { argv: string[]; pid: number }[] = [];
  const unseen: string[] = [];
  for (let start = 0; start < ids.length; start += AT_ONCE)
    await Promise.all(
      ids.slice(start, start + AT_ONCE).map(async (id) => {
        try {
          const exec = await ask(docker.getExec(id).inspect());
          if (exec.Running)
            running.push({ argv: [exec.ProcessConfig.entrypoint, ...exec.ProcessConfig.arguments], pid: exec.Pid });
        } catch (error) {
          if ((error as { statusCode?: number }).statusCode !== 404)
            unseen.push(`docker:${container}: cannot inspect exec ${id.slice(0, 12)}: ${reason(error)}`);
        }
      }),
    );
  return { reachable: true, running, unseen };
}

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error)).slice(0, 200);
