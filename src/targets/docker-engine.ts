import { readFileSync } from 'node:fs';
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https, { type RequestOptions } from 'node:https';
import type { Duplex, Readable } from 'node:stream';
import type { DockerEndpoint } from './docker-host.js';

/**
 * A small client for the Docker Engine API over node:http: just the calls the controller makes
 * (exec, inspect, kill, list, ping, events) and a generic JSON request for fixtures.
 *
 * Paths are unversioned: every daemon answers them at its own API version, so there is nothing to
 * negotiate and nothing to break when the daemon is older or newer than the client. Plain calls
 * share keep-alive connections; streams (exec output, events) get a connection of their own,
 * since they hold it until they end.
 *
 * Failures keep what callers classify on: a non-2xx reply rejects with DockerApiError (HTTP
 * status and the daemon's message), a socket failure with Node's error and its `code`.
 */

export class DockerApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly daemonMessage: string,
    readonly request: string,
  ) {
    super(`${daemonMessage || `HTTP ${statusCode}`} (${request}: HTTP ${statusCode})`);
    this.name = 'DockerApiError';
  }
}

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;
/** Docker's `filters` parameter: a JSON map of lists. */
export type Filters = Readonly<Record<string, readonly string[]>>;

export interface RequestSpec {
  readonly query?: Query;
  readonly body?: unknown;
  /** Aborts the request (a caller's deadline passed). */
  readonly signal?: AbortSignal;
}

export interface ContainerInfo {
  readonly Id: string;
  readonly State: { readonly Running: boolean; readonly Status: string; readonly ExitCode: number; readonly Health?: { readonly Status: string } };
  readonly NetworkSettings: { readonly Networks?: Readonly<Record<string, { readonly IPAddress: string }>> };
}

export interface ContainerSummary {
  readonly Id: string;
  readonly Names: readonly string[];
}

export interface ExecSpec {
  readonly Cmd: readonly string[];
  readonly AttachStdin: boolean;
  readonly AttachStdout: boolean;
  readonly AttachStderr: boolean;
}

export interface ExecInfo {
  readonly Running: boolean;
  readonly ExitCode: number | null;
}

/** A started exec: its multiplexed output, and the connection that carries its input. */
export interface ExecConnection {
  readonly output: Readable;
  /** Writes the command's stdin, then half-closes the connection so the command sees EOF. */
  endInput(stdin: string): void;
  destroy(): void;
}

export interface DockerEngine {
  /** Any JSON call: resolves with the parsed reply (null when empty) or rejects with DockerApiError. */
  request(method: string, path: string, spec?: RequestSpec): Promise<unknown>;
  ping(): Promise<void>;
  inspectContainer(name: string, abort?: AbortSignal): Promise<ContainerInfo>;
  killContainer(name: string, signal?: NodeJS.Signals, abort?: AbortSignal): Promise<void>;
  listContainers(options: { readonly all: boolean; readonly filters: Filters }): Promise<ContainerSummary[]>;
  createExec(container: string, spec: ExecSpec, abort?: AbortSignal): Promise<string>;
  /** With `stdin`, the connection is hijacked (Upgrade: tcp) so it can carry the input too. */
  startExec(id: string, options: { readonly stdin: boolean; readonly abort?: AbortSignal }): Promise<ExecConnection>;
  inspectExec(id: string, abort?: AbortSignal): Promise<ExecInfo>;
  /** The event stream, open once the daemon has answered; destroy it to stop following. */
  events(filters: Filters): Promise<Readable>;
}

const JSON_HEADERS = { 'Content-Type': 'application/json' };
/**
 * A plain call silent this long is dropped, so a wedged daemon cannot pile up open requests
 * (and sockets) pass after pass; the callers' own deadlines are shorter and decide first.
 */
const PLAIN_CALL_IDLE_MS = 60_000;

export function createDockerEngine(endpoint: DockerEndpoint, options: { readonly idleMs?: number } = {}): DockerEngine {
  const idleMs = options.idleMs ?? PLAIN_CALL_IDLE_MS;
  const transport = transportFor(endpoint);
  const agent = new transport.Agent({ keepAlive: true });

  const open = (method: string, path: string, spec: RequestSpec, extra: RequestOptions = {}): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
      const headers = { ...(body === undefined ? {} : { ...JSON_HEADERS, 'Content-Length': Buffer.byteLength(body) }), ...extra.headers };
      const request = transport.request({ ...transport.base, ...extra, method, path: withQuery(path, spec.query), headers, ...(spec.signal === undefined ? {} : { signal: spec.signal }) });
      request.on('error', reject);
      // Only for calls that set `timeout`: a daemon that accepted the call and went silent.
      request.on('timeout', () => request.destroy(new Error(`docker ${method} ${path}: no answer within ${extra.timeout ?? 0} ms`)));
      request.on('response', (response: IncomingMessage) => resolve({ kind: 'response', response }));
      request.on('upgrade', (response: IncomingMessage, socket: Duplex, head: Buffer) => resolve({ kind: 'upgrade', response, socket, head }));
      request.end(body);
    });

  /** The reply of a call that must succeed, or a DockerApiError with the daemon's message. */
  const succeed = async (method: string, path: string, spec: RequestSpec, extra?: RequestOptions): Promise<Reply> => {
    const reply = await open(method, path, spec, extra);
    const status = reply.response.statusCode ?? 0;
    if (reply.kind === 'upgrade' || (status >= 200 && status < 300)) return reply;
    throw new DockerApiError(status, messageOf(await readAll(reply.response)), `${method} ${path}`);
  };

  const request = async (method: string, path: string, spec: RequestSpec = {}): Promise<unknown> => {
    const reply = await succeed(method, path, spec, { agent, timeout: idleMs });
    const text = await readAll(reply.response);
    return text.trim() === '' ? null : (JSON.parse(text) as unknown);
  };

  const stream = async (method: string, path: string, spec: RequestSpec): Promise<Readable> => {
    const reply = await succeed(method, path, spec, { agent: false });
    return reply.response;
  };

  return {
    request,
    async ping() {
      await succeed('GET', '/_ping', {}, { agent }).then((reply) => readAll(reply.response));
    },
    async inspectContainer(name, abort) {
      return (await request('GET', `/containers/${encodeURIComponent(name)}/json`, { signal: abort })) as ContainerInfo;
    },
    async killContainer(name, signal, abort) {
      await request('POST', `/containers/${encodeURIComponent(name)}/kill`, { query: { signal }, signal: abort });
    },
    async listContainers({ all, filters }) {
      return (await request('GET', '/containers/json', { query: { all, filters: JSON.stringify(filters) } })) as ContainerSummary[];
    },
    async createExec(container, spec, abort) {
      const created = (await request('POST', `/containers/${encodeURIComponent(container)}/exec`, { body: spec, signal: abort })) as { Id: string };
      return created.Id;
    },
    async startExec(id, { stdin, abort }) {
      const path = `/exec/${encodeURIComponent(id)}/start`;
      const body = { Detach: false, Tty: false };
      if (!stdin) return responseConnection(await stream('POST', path, { body, signal: abort }));
      const reply = await succeed('POST', path, { body, signal: abort }, { agent: false, headers: { Connection: 'Upgrade', Upgrade: 'tcp' } });
      // 101: the socket is ours. Daemons that answer 200 instead stream on the same connection.
      if (reply.kind === 'upgrade') {
        if (reply.head.length > 0) reply.socket.unshift(reply.head);
        return socketConnection(reply.socket, reply.socket);
      }
      return socketConnection(reply.response, reply.response.socket);
    },
    async inspectExec(id, abort) {
      return (await request('GET', `/exec/${encodeURIComponent(id)}/json`, { signal: abort })) as ExecInfo;
    },
    events(filters) {
      return stream('GET', '/events', { query: { filters: JSON.stringify(filters) } });
    },
  };
}

type Reply =
  | { readonly kind: 'response'; readonly response: IncomingMessage }
  | { readonly kind: 'upgrade'; readonly response: IncomingMessage; readonly socket: Duplex; readonly head: Buffer };

interface Transport {
  readonly request: (options: RequestOptions) => ClientRequest;
  readonly Agent: new (options: http.AgentOptions) => http.Agent;
  /** Where to connect, and for https the client's certificates. */
  readonly base: RequestOptions;
}

function transportFor(endpoint: DockerEndpoint): Transport {
  if (endpoint.kind === 'unix') return { request: http.request, Agent: http.Agent, base: { socketPath: endpoint.socketPath } };
  if (endpoint.tls === null) return { request: http.request, Agent: http.Agent, base: { host: endpoint.host, port: endpoint.port } };
  const { caFile, certFile, keyFile } = endpoint.tls;
  // Read once, here: a missing file is an error at startup, not at the first exec.
  const tls = { ca: readPem(caFile), cert: readPem(certFile), key: readPem(keyFile) };
  return { request: https.request, Agent: https.Agent, base: { host: endpoint.host, port: endpoint.port, ...tls } };
}

function readPem(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new Error(`cannot read the Docker TLS file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function withQuery(path: string, query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

function readAll(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}

/** The daemon's `{"message": …}`, or the raw body when it is not JSON. */
export function messageOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message.trim();
  } catch {
    // Not JSON: a proxy's page, or plain text from an old daemon.
  }
  return body.trim().split('\n')[0] ?? '';
}

function responseConnection(response: Readable): ExecConnection {
  return { output: response, endInput: () => undefined, destroy: () => response.destroy() };
}

function socketConnection(output: Readable, socket: Duplex): ExecConnection {
  return { output, endInput: (stdin) => socket.end(stdin), destroy: () => socket.destroy() };
}
