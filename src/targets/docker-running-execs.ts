import type Docker from 'dockerode';
import { dockerClient } from './docker-client.js';

/**
 * The command lines of the execs running in a container now. Docker keeps a container's exec
 * IDs (running and recently ended) until it restarts; one cleaned up between the two calls has
 * ended, so it is skipped.
 */
export async function runningExecs(container: string, docker: Docker = dockerClient()): Promise<readonly string[][]> {
  const info = await docker.getContainer(container).inspect();
  const running: string[][] = [];
  for (const id of info.ExecIDs ?? []) {
    const exec = await docker
      .getExec(id)
      .inspect()
      .catch(() => null);
    if (exec?.Running === true) running.push([exec.ProcessConfig.entrypoint, ...exec.ProcessConfig.arguments]);
  }
  return running;
}
