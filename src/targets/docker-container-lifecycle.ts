import type { DockerEngine } from './docker-engine.js';

/**
 * Creating, starting, stopping and removing containers: what the benchmark and the tests do to
 * set up a cell. The controller itself never calls these.
 */

/** The create body as the Engine API names it (Image, Cmd, HostConfig, …); only Image is required. */
export interface ContainerCreateSpec {
  readonly Image: string;
  readonly Cmd?: readonly string[];
  readonly HostConfig?: Readonly<Record<string, unknown>>;
  readonly [field: string]: unknown;
}

const at = (name: string): string => `/containers/${encodeURIComponent(name)}`;

/** Creates the container under `name` and starts it. */
export async function runContainer(docker: DockerEngine, name: string, spec: ContainerCreateSpec): Promise<void> {
  await docker.request('POST', '/containers/create', { query: { name }, body: spec });
  await startContainer(docker, name);
}

export async function startContainer(docker: DockerEngine, name: string): Promise<void> {
  await docker.request('POST', `${at(name)}/start`);
}

/** Stops it, with SIGKILL after `graceSeconds` of SIGTERM. */
export async function stopContainer(docker: DockerEngine, name: string, graceSeconds: number): Promise<void> {
  await docker.request('POST', `${at(name)}/stop`, { query: { t: graceSeconds } });
}

/** Removes it, running or not; resolves false when there was nothing to remove. */
export async function removeContainer(docker: DockerEngine, name: string): Promise<boolean> {
  return docker.request('DELETE', at(name), { query: { force: true } }).then(
    () => true,
    () => false,
  );
}
