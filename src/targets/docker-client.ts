import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import Docker from 'dockerode';
import { SOCKET_CAUSES } from '../model/socket-causes.js';
import { ExecError } from '../model/target.js';
import { DeadlineExceeded } from './deadline.js';
import { dockerEndpointOf, type DockerEndpoint } from './docker-host.js';
import { sshOptionsFor, type SshFiles } from './docker-ssh.js';

let client: Docker | undefined;
let endpointName = '';

/**
 * One dockerode client per process, over DOCKER_HOST or /var/run/docker.sock; throws a one-line
 * error when DOCKER_HOST names something it cannot use (another scheme, a missing TLS file).
 *
 * DOCKER_HOST is read here, as the docker CLI reads it, rather than by docker-modem: docker-modem
 * reads the TLS files only when DOCKER_CERT_PATH is set, where the CLI defaults it to ~/.docker,
 * and over ssh:// it would accept any host key (see docker-ssh.ts).
 */
export function dockerClient(): Docker {
  if (client !== undefined) return client;
  const endpoint = dockerEndpointOf(process.env, homedir());
  if (!endpoint.ok) throw new Error(endpoint.error);
  client = createDockerClient(endpoint.value);
  endpointName = nameOf(endpoint.value);
  return client;
}

export function createDockerClient(endpoint: DockerEndpoint, ssh: SshFiles = userSshFiles()): Docker {
  if (endpoint.kind === 'unix') return new Docker({ socketPath: endpoint.socketPath });
  if (endpoint.kind === 'ssh') {
    // docker-modem runs `docker system dial-stdio` on the host through ssh2, as the docker CLI does.
    const { username, ...sshOptions } = sshOptionsFor(endpoint.host, endpoint.port, endpoint.user, ssh);
    return new Docker({ protocol: 'ssh', host: endpoint.host, port: endpoint.port, username, sshOptions });
  }
  if (endpoint.tls === null) return new Docker({ host: endpoint.host, port: endpoint.port, protocol: 'http' });
  const { caFile, certFile, keyFile } = endpoint.tls;
  // Read once, here: a missing file is an error at startup, not at the first exec.
  return new Docker({
    host: endpoint.host,
    port: endpoint.port,
    protocol: 'https',
    ca: readPem(caFile),
    cert: readPem(certFile),
    key: readPem(keyFile),
  });
}

function userSshFiles(): SshFiles {
  return { home: homedir(), agent: process.env.SSH_AUTH_SOCK, globalKnownHosts: '/etc/ssh/ssh_known_hosts' };
}

function nameOf(endpoint: DockerEndpoint): string {
  if (endpoint.kind === 'unix') return endpoint.socketPath;
  return `${endpoint.kind === 'ssh' ? 'ssh://' : ''}${endpoint.host}:${endpoint.port}`;
}

function readPem(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new Error(
      `cannot read the Docker TLS file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

export type DockerFailureKind = 'no-container' | 'not-running' | 'unreachable' | 'timeout' | 'other';

export interface DockerFailure {
  readonly kind: DockerFailureKind;
  readonly detail: string;
}

/**
 * Sorts whatever dockerode or the deadline threw into what a caller can act on. dockerode's HTTP
 * errors carry `statusCode` and the daemon's JSON reply; socket errors carry Node's `code`.
 * `endpoint` names the socket in an unreachable daemon's detail (default: the client's own).
 */
export function classifyDockerFailure(
  error: unknown,
  endpoint = endpointName || '/var/run/docker.sock',
): DockerFailure {
  if (error instanceof DeadlineExceeded) return { kind: 'timeout', detail: error.message };
  if (!(error instanceof Error)) return { kind: 'other', detail: String(error) };
  const details = error as Error & { statusCode?: number; code?: string; json?: unknown };
  const message = daemonMessage(details.json) ?? error.message.trim();
  if (details.statusCode === 404 && /no such container/i.test(message))
    return { kind: 'no-container', detail: 'no such container' };
  if (details.statusCode === 409 || /is not running/i.test(message))
    return { kind: 'not-running', detail: 'container is not running' };
  const cause = details.code === undefined ? undefined : SOCKET_CAUSES[details.code];
  if (cause !== undefined) return { kind: 'unreachable', detail: `${endpoint}: ${cause}` };
  return {
    kind: 'other',
    detail: details.statusCode === undefined ? message : `${message} (HTTP ${details.statusCode})`,
  };
}

/** The daemon's `{"message": …}`, when its reply was JSON. */
function daemonMessage(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const message = (json as { message?: unknown }).message;
  return typeof message === 'string' ? message.trim() : undefined;
}

export function dockerExecError(locator: string, command: readonly string[], error: unknown): ExecError {
  if (error instanceof ExecError) return error;
  return new ExecError(locator, command, null, '', classifyDockerFailure(error).detail);
}
