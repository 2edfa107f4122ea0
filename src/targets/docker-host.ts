/**
 * Where the Docker daemon listens, read from the environment the way the docker CLI reads it.
 * Pure: the certificate files are only named here; the client reads them.
 */

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
// The daemon's conventional ports: plain and TLS.
const DEFAULT_TCP_PORT = 2375;
const DEFAULT_TLS_PORT = 2376;
const DEFAULT_SSH_PORT = 22;

export interface DockerTls {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export type DockerEndpoint =
  | { readonly kind: 'unix'; readonly socketPath: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly tls: DockerTls | null }
  /** The daemon behind sshd, reached as the docker CLI does: `docker system dial-stdio` on the host. */
  | { readonly kind: 'ssh'; readonly host: string; readonly port: number; readonly user: string | null };

export interface DockerEnvironment {
  readonly DOCKER_HOST?: string | undefined;
  readonly DOCKER_TLS_VERIFY?: string | undefined;
  readonly DOCKER_CERT_PATH?: string | undefined;
}

export type DockerEndpointResult =
  { readonly ok: true; readonly value: DockerEndpoint } | { readonly ok: false; readonly error: string };

/**
 * DOCKER_HOST as `unix://PATH`, `tcp://HOST[:PORT]` or `ssh://[USER@]HOST[:PORT]`, default the
 * local socket. Like the docker CLI, a non-empty DOCKER_TLS_VERIFY means https with ca.pem,
 * cert.pem and key.pem from DOCKER_CERT_PATH (default `<home>/.docker`).
 */
export function dockerEndpointOf(env: DockerEnvironment, home: string): DockerEndpointResult {
  const host = env.DOCKER_HOST ?? '';
  if (host === '') return { ok: true, value: { kind: 'unix', socketPath: DEFAULT_DOCKER_SOCKET } };
  const scheme = /^([a-z0-9+.-]+):\/\//i.exec(host)?.[1]?.toLowerCase();
  const rest = host.slice((scheme?.length ?? 0) + 3);
  if (scheme === 'unix') {
    return rest === ''
      ? { ok: false, error: `DOCKER_HOST=${host}: no socket path` }
      : { ok: true, value: { kind: 'unix', socketPath: rest } };
  }
  if (scheme === 'tcp') return tcpEndpoint(host, rest, env, home);
  if (scheme === 'ssh') return sshEndpoint(host, rest);
  return { ok: false, error: `DOCKER_HOST=${host}: expected unix://PATH, tcp://HOST:PORT or ssh://USER@HOST` };
}

/** `[USER@]HOST[:PORT]`, HOST possibly `[IPv6]`; like the docker CLI, no path. */
function sshEndpoint(host: string, rest: string): DockerEndpointResult {
  const match = /^(?:([^@:/]+)@)?(\[[^\]]+\]|[^:/@[\]]+)(?::(\d+))?$/.exec(rest);
  const name = match?.[2];
  if (match === null || name === undefined)
    return { ok: false, error: `DOCKER_HOST=${host}: expected ssh://[USER@]HOST[:PORT]` };
  const port = match[3] === undefined ? DEFAULT_SSH_PORT : Number(match[3]);
  if (port < 1 || port > 65_535) return { ok: false, error: `DOCKER_HOST=${host}: port out of range` };
  return { ok: true, value: { kind: 'ssh', host: name.replace(/^\[|\]$/g, ''), port, user: match[1] ?? null } };
}

function tcpEndpoint(host: string, rest: string, env: DockerEnvironment, home: string): DockerEndpointResult {
  const tls = (env.DOCKER_TLS_VERIFY ?? '') === '' ? null : tlsFiles(env.DOCKER_CERT_PATH || `${home}/.docker`);
  // HOST, HOST:PORT or [IPv6]:PORT; a trailing path (tcp://h:2375/) is ignored like the CLI does.
  const match = /^(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(rest);
  const name = match?.[1];
  if (match === null || name === undefined)
    return { ok: false, error: `DOCKER_HOST=${host}: expected tcp://HOST:PORT` };
  const port = match[2] === undefined ? (tls === null ? DEFAULT_TCP_PORT : DEFAULT_TLS_PORT) : Number(match[2]);
  if (port < 1 || port > 65_535) return { ok: false, error: `DOCKER_HOST=${host}: port out of range` };
  return { ok: true, value: { kind: 'tcp', host: name.replace(/^\[|\]$/g, ''), port, tls } };
}

function tlsFiles(dir: string): DockerTls {
  const base = dir.replace(/\/+$/, '');
  return { caFile: `${base}/ca.pem`, certFile: `${base}/cert.pem`, keyFile: `${base}/key.pem` };
}
