import type { DockerEngine } from '../../src/targets/docker-engine.js';

/** Stops the container (SIGKILL after `graceSeconds` of SIGTERM), then starts it again: a fresh network namespace. */
export async function restartContainer(docker: DockerEngine, name: string, graceSeconds: number): Promise<void> {
  await docker.request('POST', `/containers/${encodeURIComponent(name)}/restart`, { query: { t: graceSeconds } });
}
