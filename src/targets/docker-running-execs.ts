import type Docker from 'dockerode';
import { dockerClient } from './docker-client.js';

/**
 * The command lines of the execs running in a container now. Docker keeps a container's exec
 * IDs (running and recently ended) until it restarts; one cleaned up between the two calls has
 * ended, so it is skipped.
 */
export async function runningExecs(container: string, docker: Docker = dockerClient()): Promise<readonly string[][]> {
  const info = await docker.getContainer(container).inspect();
  const execs = await Promise.all(
    (info.ExecIDs ?? []).map((id) =>
      docker
        .getExec(id)
        .inspect()
        .catch(() => null),
    ),
  );
  return execs.flatMap((exec) =>
    exec?.Running === true ? [[exec.ProcessConfig.entrypoint, ...exec.ProcessConfig.arguments]] : [],
  );
}
