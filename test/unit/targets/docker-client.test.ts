import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchDockerEvents } from '../../../src/loop/watch-docker-events.js';
import { ProgramNotFoundError } from '../../../src/model/target.js';
import { classifyDockerFailure, createDockerClient, dockerClient } from '../../../src/targets/docker-client.js';
import { dockerContainerAddress, dockerSignal } from '../../../src/targets/docker-container.js';
import { createDockerTarget } from '../../../src/targets/docker-target.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * dockerode as the controller uses it, against a fake daemon on a unix socket: the HTTP shapes
 * Docker uses (JSON errors, a hijacked exec (101), a multiplexed stream,
 * the event stream), so each behaviour the targets rely on is pinned without a real daemon.
 */

function frame(streamId: number, text: string | Buffer): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = streamId;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

const RAW_STREAM = 'Content-Type: application/vnd.docker.raw-stream';

/** Reads the whole input, then answers with it as stdout and its length as stderr, and closes. */
function echoExec(socket: Duplex, head: Buffer, statusLine: string, bodyLength: number): void {
  socket.write(
    `${statusLine}\r\n${RAW_STREAM}\r\n${statusLine.includes('101') ? 'Connection: Upgrade\r\nUpgrade: tcp\r\n' : ''}\r\n`,
  );
  const input: Buffer[] = [head];
  socket.on('data', (chunk: Buffer) => input.push(chunk));
  socket.on('end', () => {
    // An upgrade request's own body (the start options) comes first on the socket.
    const text = Buffer.concat(input).subarray(bodyLength).toString();
    // Split a frame across writes, as a real connection may.
    const out = Buffer.concat([frame(1, text), frame(2, `${text.length} bytes`)]);
    socket.write(out.subarray(0, 5));
    setTimeout(() => socket.end(out.subarray(5)), 10);
  });
}

describe('dockerode against a fake daemon', () => {
  let dir = '';
  let socket = '';
  let server: Server;
  let eventsResponse: ServerResponse | null = null;
  let wedgedClosed = 0;
  const seen: string[] = [];
  const exitCodes = new Map<string, number>([
    ['exec-1', 0],
    ['exec-101', 0],
    ['exec-nf', 127],
  ]);

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '';
    seen.push(`${req.method} ${url}`);
    const json = (status: number, value: unknown): void =>
      void res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
    if (url === '/containers/missing/json' || url === '/containers/missing/exec')
      json(404, { message: 'No such container: missing' });
    else if (url === '/containers/stopped/exec') json(409, { message: 'Container 0123abcd is not running' });
    else if (url === '/containers/api/json')
      json(200, { NetworkSettings: { Networks: { cell: { IPAddress: '172.20.0.7' } } } });
    else if (/^\/containers\/(cell|stdin|nf)\/exec$/.test(url)) {
      const id = { cell: 'exec-1', stdin: 'exec-101', nf: 'exec-nf' }[url.split('/')[2] ?? ''];
      json(201, { Id: id });
    } else if (url === '/exec/exec-1/start') {
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
      // 'é' cut between two frames: the text is decoded whole.
      res.end(
        Buffer.concat([
          frame(1, Buffer.from('no input é\n').subarray(0, 10)),
          frame(2, 'warning\n'),
          frame(1, Buffer.from('no input é\n').subarray(10)),
        ]),
      );
    } else if (url === '/exec/exec-nf/start') {
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
      res.end(
        frame(
          1,
          'OCI runtime exec failed: exec failed: unable to start container process: exec: "nft": executable file not found in $PATH\n',
        ),
      );
    } else if (/^\/exec\/[^/]+\/json$/.test(url))
      json(200, { Running: false, ExitCode: exitCodes.get(url.split('/')[2] ?? '') ?? 0 });
    else if (url.startsWith('/containers/cell/kill')) res.writeHead(204).end();
    else if (url.startsWith('/events')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      eventsResponse = res;
    } else if (url === '/containers/wedged/exec')
      res.on('close', () => wedgedClosed++); // accepted, never answered
    else if (url.startsWith('/containers/json')) json(200, [{ Id: 'id-wg', Names: ['/cell-wireguard'] }]);
    else json(404, { message: `page not found: ${url}` });
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pict-dockerode-'));
    socket = join(dir, 'docker.sock');
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => handle(req, res));
    });
    server.on('upgrade', (req: IncomingMessage, conn: Duplex, head: Buffer) => {
      seen.push(`${req.method} ${req.url} ${req.headers.connection} ${req.headers.upgrade}`);
      echoExec(conn, head, 'HTTP/1.1 101 UPGRADED', Number(req.headers['content-length'] ?? 0));
    });
    await new Promise<void>((done) => server.listen(socket, done));
    // The process-wide client (what the targets use) goes to the fake daemon.
    process.env.DOCKER_HOST = `unix://${socket}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
    await rm(dir, { recursive: true, force: true });
  });

  it('runs an exec without stdin and demultiplexes its output', async () => {
    const result = await createDockerTarget('cell').exec(['ip', '-j', 'rule']);
    expect(result).toEqual({ stdout: 'no input é\n', stderr: 'warning\n', exitCode: 0 });
    expect(seen.slice(-3)).toEqual(['POST /containers/cell/exec', 'POST /exec/exec-1/start', 'GET /exec/exec-1/json']);
  });

  // Docker answers 101 whenever the request carries `Upgrade` (dockerode always sends it with hijack).
  it('hijacks the connection for stdin and half-closes it so the command sees EOF', async () => {
    const input = 'line\n'.repeat(50_000);
    const result = await createDockerTarget('stdin').exec(['iptables-restore', '--noflush'], { stdin: input });
    expect(seen).toContain('POST /exec/exec-101/start Upgrade tcp');
    expect(result).toEqual({ stdout: input, stderr: `${input.length} bytes`, exitCode: 0 });
  });

  it('turns a program missing from the container into ProgramNotFoundError (the no-shell fallback)', async () => {
    await expect(createDockerTarget('nf').exec(['nft', 'list', 'ruleset'])).rejects.toBeInstanceOf(
      ProgramNotFoundError,
    );
  });

  it('names a missing or stopped container, and the api lookup reads a missing one as "no address"', async () => {
    await expect(createDockerTarget('missing').exec(['true'])).rejects.toThrow(
      'docker:missing: true: no such container',
    );
    await expect(createDockerTarget('stopped').exec(['true'])).rejects.toThrow(
      'docker:stopped: true: container is not running',
    );
    expect(await dockerContainerAddress('missing')).toBeNull();
    expect(await dockerContainerAddress('api')).toBe('172.20.0.7');
  });

  it('sends SIGUSR1 with kill', async () => {
    await dockerSignal('cell', 'SIGUSR1');
    expect(seen.at(-1)).toBe('POST /containers/cell/kill?signal=SIGUSR1');
  });

  it('aborts a request when its deadline passes, so it does not stay open at the daemon', async () => {
    await expect(createDockerTarget('wedged', { timeoutMs: 150 }).exec(['true'])).rejects.toThrow(
      'docker:wedged: true: timed out after 150 ms',
    );
    await waitFor('the daemon to see the request closed', () => wedgedClosed === 1, 2_000);
  });

  it('names the socket and the cause when the daemon cannot be reached', async () => {
    const nowhere = join(dir, 'absent.sock');
    const missing = await createDockerClient({ kind: 'unix', socketPath: nowhere })
      .ping()
      .catch((e: unknown) => e);
    expect(classifyDockerFailure(missing, nowhere)).toEqual({
      kind: 'unreachable',
      detail: `${nowhere}: no such socket: is the Docker daemon running? (DOCKER_HOST names another socket)`,
    });
    const denied = Object.assign(new Error(`connect EACCES ${socket}`), { code: 'EACCES' });
    expect(classifyDockerFailure(denied, '/var/run/docker.sock').detail).toBe(
      '/var/run/docker.sock: permission denied: run as root or in the docker group',
    );
    // The process-wide client names its own socket.
    expect(dockerClient()).toBe(dockerClient());
    expect(classifyDockerFailure(denied).detail).toBe(
      `${socket}: permission denied: run as root or in the docker group`,
    );
  });

  it('follows the event stream whatever its chunking, skips a broken line, and reports a disconnect', async () => {
    const reasons: string[] = [];
    const watcher = watchDockerEvents(dockerClient(), {
      containers: ['cell-wireguard', 'cell-caddy'],
      onEvent: (r) => reasons.push(r),
      backoffBaseMs: 10_000,
    });
    await waitFor(
      'the stream to connect',
      () => eventsResponse !== null && reasons.includes('docker-reconnect'),
      2_000,
    );
    expect(watcher.connected).toBe(true);
    const events = [
      { Type: 'container', Action: 'restart', Actor: { ID: 'id-wg', Attributes: { name: 'cell-wireguard' } } },
      { Type: 'container', Action: 'start', Actor: { ID: 'id-other', Attributes: { name: 'someone-else' } } },
      '{"Type": broken',
      { Type: 'network', Action: 'connect', Actor: { ID: 'net-1', Attributes: { container: 'id-wg' } } },
      { Type: 'container', Action: 'die', Actor: { ID: 'id-caddy', Attributes: { name: 'cell-caddy', note: 'é}{"' } } },
    ];
    // One object a line, as Docker writes them, cut mid-line and mid-character.
    const bytes = Buffer.from(events.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('\n') + '\n');
    const res = eventsResponse as ServerResponse | null;
    for (let at = 0; at < bytes.length; at += 37) res?.write(bytes.subarray(at, at + 37));
    await waitFor('three events', () => reasons.length >= 4, 2_000);
    expect(reasons).toEqual([
      'docker-reconnect',
      'docker-restart:cell-wireguard',
      'docker-network-connect:cell-wireguard',
      'docker-die:cell-caddy',
    ]);
    res?.end();
    await waitFor('the disconnect', () => !watcher.connected, 2_000);
    expect(reasons.at(-1)).toBe('docker-disconnect');
    watcher.close();
  });

  it('reports a connection reset mid-stream (dockerd killed) as a disconnect, without an unhandled error', async () => {
    eventsResponse = null;
    const reasons: string[] = [];
    const watcher = watchDockerEvents(dockerClient(), {
      containers: ['cell-wireguard'],
      onEvent: (r) => reasons.push(r),
      backoffBaseMs: 10_000,
    });
    await waitFor(
      'the stream to connect',
      () => eventsResponse !== null && reasons.includes('docker-reconnect'),
      2_000,
    );
    const res = eventsResponse as ServerResponse | null;
    // Half a line, then the connection drops: the response is aborted (ECONNRESET).
    res?.write('{"Type":"container"');
    res?.socket?.destroy();
    await waitFor('the disconnect', () => !watcher.connected, 2_000);
    expect(reasons).toEqual(['docker-reconnect', 'docker-disconnect']);
    watcher.close();
  });
});
