import type Docker from 'dockerode';

/** Stops the container (SIGKILL after `graceSeconds` of SIGTERM), then starts it again: a fresh network namespace. */
export async function restartContainer(docker: Docker, name: string, graceSeconds: number): Promise<void> {
  await docker.getContainer(name).restart({ t: graceSeconds });
}
