import { homedir } from 'node:os';
import { ExecError } from '../model/target.js';
import { DeadlineExceeded } from './deadline.js';
import { createDockerEngine, type DockerEngine } from './docker-engine.js';
import { dockerEndpointOf } from './docker-host.js';

let client: DockerEngine | undefined;

/**
 * One client per process, over DOCKER_HOST or /var/run/docker.sock; throws a one-line error when
 * DOCKER_HOST names something this client cannot use (ssh://, a missing TLS file).
 */
export function dockerClient(): DockerEngine {
  if (client !== undefined) return client;
  const endpoint = dockerEndpointOf(process.env, homedir());
  if (!endpoint.ok) throw new Error(endpoint.error);
  client = createDockerEngine(endpoint.value);
  return client;
}

export type DockerFailureKind = 'no-container' | 'not-running' | 'unreachable' | 'timeout' | 'other';

export interface DockerFailure {
  readonly kind: DockerFailureKind;
  readonly detail: string;
}

/** Sorts whatever Docker or the deadline threw into what a caller can act on. */
export function classifyDockerFailure(error: unknown): DockerFailure {
  if (error instanceof DeadlineExceeded) return { kind: 'timeout', detail: error.message };
  if (!(error instanceof Error)) return { kind: 'other', detail: String(error) };
  const details = error as Error & { statusCode?: number; code?: string };
  if (details.statusCode === 404 && /no such container/i.test(error.message)) return { kind: 'no-container', detail: 'no such container' };
  if (details.statusCode === 409 || /is not running/i.test(error.message)) return { kind: 'not-running', detail: 'container is not running' };
  if (details.code === 'ECONNREFUSED' || details.code === 'ENOENT' || details.code === 'EACCES') {
    return { kind: 'unreachable', detail: `docker daemon unreachable (${details.code})` };
  }
  return { kind: 'other', detail: error.message.trim() };
}

export function dockerExecError(locator: string, command: readonly string[], error: unknown): ExecError {
  if (error instanceof ExecError) return error;
  return new ExecError(locator, command, null, '', classifyDockerFailure(error).detail);
}
