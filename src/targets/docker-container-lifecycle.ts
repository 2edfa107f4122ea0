import type Docker from 'dockerode';

/**
 * Creating, starting, stopping and removing containers: what the benchmark and the tests do to
 * set up a cell. The controller itself never calls these.
 */

/** The create body as the Engine API names it (Image, Cmd, HostConfig, …); only Image is required. */
export type ContainerCreateSpec = Docker.ContainerCreateOptions & { readonly Image: string };

/** Creates the container under `name` and starts it. */
export async function runContainer(docker: Docker, name: string, spec: ContainerCreateSpec): Promise<void> {
  await (await docker.createContainer({ ...spec, name })).start();
}

export async function startContainer(docker: Docker, name: string): Promise<void> {
  await docker.getContainer(name).start();
}

/** Stops it, with SIGKILL after `graceSeconds` of SIGTERM. */
export async function stopContainer(docker: Docker, name: string, graceSeconds: number): Promise<void> {
  await docker.getContainer(name).stop({ t: graceSeconds });
}

/** Removes it, running or not; resolves false when there was nothing to remove. */
export async function removeContainer(docker: Docker, name: string): Promise<boolean> {
  return docker
    .getContainer(name)
    .remove({ force: true })
    .then(
      () => true,
      () => false,
    );
}
