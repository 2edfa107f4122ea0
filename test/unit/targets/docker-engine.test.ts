import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchDockerEvents } from '../../../src/loop/watch-docker-events.js';
import { classifyDockerFailure } from '../../../src/targets/docker-client.js';
import { createDockerEngine, DockerApiError, type DockerEngine } from '../../../src/targets/docker-engine.js';
import { DeadlineExceeded, withAbortableDeadline } from '../../../src/targets/deadline.js';
import { waitFor } from '../../helpers/wait-for.js';
import { collectStreamOutput, FRAME_HEADER_BYTES } from '../../../src/targets/docker-stream-frames.js';

/**
 * The client against a fake daemon on a unix socket: the HTTP shapes Docker uses (JSON errors,
 * a hijacked exec answered with 101 or with 200, a multiplexed stream, the event stream).
 */

function frame(streamId: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header[0] = streamId;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

const RAW_STREAM = 'Content-Type: application/vnd.docker.raw-stream';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly body: string;
}

/** Reads the whole input, then answers with it as stdout and its length as stderr, and closes. */
function echoExec(socket: Duplex, head: Buffer, statusLine: string, bodyLength: number): void {
  socket.write(`${statusLine}\r\n${RAW_STREAM}\r\n${statusLine.includes('101') ? 'Connection: Upgrade\r\nUpgrade: tcp\r\n' : ''}\r\n`);
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

describe('docker engine client (fake daemon)', () => {
  let dir = '';
  let server: Server;
  let engine: DockerEngine;
  const seen: Seen[] = [];
  let eventsResponse: ServerResponse | null = null;
  let wedgedClosed = 0;

  const handle = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', body });
    const json = (status: number, value: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(value));
    };
    if (req.url === '/_ping') res.writeHead(200).end('OK');
    else if (req.url === '/containers/missing/json') json(404, { message: 'No such container: missing' });
    else if (req.url === '/containers/stopped/exec') json(409, { message: 'Container 0123abcd is not running' });
    else if (req.url === '/containers/broken/json') res.writeHead(500).end('plain text failure\nsecond line');
    else if (req.url === '/containers/cell/exec') json(201, { Id: 'exec-1' });
    else if (req.url === '/exec/exec-1/start') {
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
      res.end(Buffer.concat([frame(1, 'no input\n'), frame(2, 'warning\n')]));
    } else if (req.url?.startsWith('/containers/cell/kill')) res.writeHead(204).end();
    else if (req.url?.startsWith('/events')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      eventsResponse = res;
    } else if (req.url === '/containers/wedged/json') return; // accepted, never answered
    else if (req.url === '/containers/wedged/exec') {
      res.on('close', () => wedgedClosed++);
      return;
    }
    else if (req.url?.startsWith('/containers/json')) json(200, [{ Id: 'id-wg', Names: ['/cell-wireguard'] }]);
    else json(404, { message: `page not found: ${req.url}` });
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pict-engine-'));
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => handle(req, res, Buffer.concat(chunks).toString()));
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body: `${req.headers.connection} ${req.headers.upgrade}` });
      echoExec(socket, head, req.url === '/exec/exec-200/start' ? 'HTTP/1.1 200 OK' : 'HTTP/1.1 101 UPGRADED', Number(req.headers['content-length'] ?? 0));
    });
    await new Promise<void>((done) => server.listen(join(dir, 'docker.sock'), done));
    engine = createDockerEngine({ kind: 'unix', socketPath: join(dir, 'docker.sock') });
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
    await rm(dir, { recursive: true, force: true });
  });

  it('answers ping and sends queries and JSON bodies as Docker expects', async () => {
    await engine.ping();
    await engine.killContainer('cell', 'SIGUSR1');
    expect(seen.at(-1)).toEqual({ method: 'POST', url: '/containers/cell/kill?signal=SIGUSR1', body: '' });
    expect(await engine.createExec('cell', { Cmd: ['ip', '-j', 'rule'], AttachStdin: false, AttachStdout: true, AttachStderr: true })).toBe('exec-1');
    expect(JSON.parse(seen.at(-1)?.body ?? '')).toEqual({ Cmd: ['ip', '-j', 'rule'], AttachStdin: false, AttachStdout: true, AttachStderr: true });
    const list = await engine.listContainers({ all: true, filters: { name: ['cell-wireguard'] } });
    expect(list).toEqual([{ Id: 'id-wg', Names: ['/cell-wireguard'] }]);
    expect(new URL(seen.at(-1)?.url ?? '', 'http://x').searchParams.get('filters')).toBe('{"name":["cell-wireguard"]}');
  });

  it('rejects with the HTTP status and the daemon`s message, which classifyDockerFailure reads', async () => {
    const missing = await engine.inspectContainer('missing').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(DockerApiError);
    expect(missing).toMatchObject({ statusCode: 404, message: expect.stringContaining('No such container: missing') });
    expect(classifyDockerFailure(missing).kind).toBe('no-container');
    const stopped = await engine.createExec('stopped', { Cmd: ['true'], AttachStdin: false, AttachStdout: true, AttachStderr: true }).catch((e: unknown) => e);
    expect(stopped).toMatchObject({ statusCode: 409, message: expect.stringContaining('is not running') });
    expect(classifyDockerFailure(stopped).kind).toBe('not-running');
    const broken = await engine.inspectContainer('broken').catch((e: unknown) => e);
    expect(classifyDockerFailure(broken)).toEqual({ kind: 'other', detail: 'plain text failure (GET /containers/broken/json: HTTP 500)' });
  });

  it('drops a plain call the daemon never answers, instead of letting requests pile up', async () => {
    const impatient = createDockerEngine({ kind: 'unix', socketPath: join(dir, 'docker.sock') }, { idleMs: 200 });
    await expect(impatient.inspectContainer('wedged')).rejects.toThrow('docker GET /containers/wedged/json: no answer within 200 ms');
  });

  it('drops a request when its caller\'s deadline passes, so it does not stay open at the daemon', async () => {
    const spec = { Cmd: ['true'], AttachStdin: false, AttachStdout: true, AttachStderr: true };
    const late = withAbortableDeadline(150, (abort) => engine.createExec('wedged', spec, abort));
    await expect(late).rejects.toBeInstanceOf(DeadlineExceeded);
    await waitFor('the daemon to see the request closed', () => wedgedClosed === 1, 2_000);
  });

  it('keeps the socket error code when nothing listens', async () => {
    const nowhere = createDockerEngine({ kind: 'unix', socketPath: join(dir, 'absent.sock') });
    const error = await nowhere.ping().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ENOENT' });
    expect(classifyDockerFailure(error)).toEqual({ kind: 'unreachable', detail: 'docker daemon unreachable (ENOENT)' });
  });

  it('streams an exec without stdin as a plain response', async () => {
    const exec = await engine.startExec('exec-1', { stdin: false });
    const output = collectStreamOutput();
    exec.output.on('data', (chunk: Buffer) => output.push(chunk));
    await new Promise((done) => exec.output.on('end', done));
    expect([output.stdout(), output.stderr()]).toEqual(['no input\n', 'warning\n']);
  });

  for (const [id, reply] of [['exec-101', '101 upgrade'], ['exec-200', '200 raw-stream reply']] as const) {
    it(`hijacks the connection for stdin, half-closes it so the command sees EOF, and reads the output (${reply})`, async () => {
      const exec = await engine.startExec(id, { stdin: true });
      expect(seen.at(-1)).toEqual({ method: 'POST', url: `/exec/${id}/start`, body: 'Upgrade tcp' });
      const output = collectStreamOutput();
      exec.output.on('data', (chunk: Buffer) => output.push(chunk));
      const ended = new Promise((done) => exec.output.on('end', done));
      const input = 'line\n'.repeat(50_000);
      exec.endInput(input);
      await ended;
      exec.destroy();
      expect(output.stdout()).toBe(input);
      expect(output.stderr()).toBe(`${input.length} bytes`);
    });
  }

  it('follows the event stream whatever its chunking, and reports a disconnect', async () => {
    const reasons: string[] = [];
    const watcher = watchDockerEvents(engine, { containers: ['cell-wireguard', 'cell-caddy'], onEvent: (r) => reasons.push(r), backoffBaseMs: 10_000 });
    await waitUntil(() => eventsResponse !== null && reasons.includes('docker-reconnect'));
    expect(watcher.connected).toBe(true);
    const events = [
      { Type: 'container', Action: 'restart', Actor: { ID: 'id-wg', Attributes: { name: 'cell-wireguard' } } },
      { Type: 'container', Action: 'start', Actor: { ID: 'id-other', Attributes: { name: 'someone-else' } } },
      { Type: 'network', Action: 'connect', Actor: { ID: 'net-1', Attributes: { container: 'id-wg' } } },
      { Type: 'container', Action: 'die', Actor: { ID: 'id-caddy', Attributes: { name: 'cell-caddy', note: 'é}{"' } } },
    ];
    // Concatenated, no newlines, and cut mid-object and mid-character.
    const bytes = Buffer.from(events.map((e) => JSON.stringify(e)).join(''));
    const res = eventsResponse as ServerResponse | null;
    for (let at = 0; at < bytes.length; at += 37) res?.write(bytes.subarray(at, at + 37));
    await waitUntil(() => reasons.length >= 4);
    expect(reasons).toEqual(['docker-reconnect', 'docker-restart:cell-wireguard', 'docker-network-connect:cell-wireguard', 'docker-die:cell-caddy']);
    res?.end();
    await waitUntil(() => !watcher.connected);
    expect(reasons.at(-1)).toBe('docker-disconnect');
    watcher.close();
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!check()) throw new Error('condition never held');
}
