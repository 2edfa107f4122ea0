/**
 * The HTTP surface under attack, over real sockets: it binds loopback by default, serves
 * only GET and HEAD, bounds its answers, refuses huge URLs and headers, survives slow and
 * many clients, and never serves a file whatever the path says.
 */
import type { Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controllerConfigSchema } from '../../src/config/controller-config.js';
import { MAX_CONNECTIONS } from '../../src/http/bound-connections.js';
import { ControllerMetrics } from '../../src/status/metrics.js';
import { serveStatus } from '../../src/http/serve-status.js';
import { stateIssue } from '../../src/text/state-issue.js';
import { INITIAL_STATUS, type ControllerStatus } from '../../src/status/controller-status.js';

/** A status as large as a hostile state dir can make it: 20,000 errors with long file names. */
const HUGE_STATUS: ControllerStatus = {
  ...INITIAL_STATUS,
  fileErrors: Array.from({ length: 20_000 }, (_, i) =>
    stateIssue(`peers/${'x'.repeat(200)}${i}.json`, '/name', 'm'.repeat(1_000)),
  ),
};

interface RawAnswer {
  readonly status: number | null;
  readonly bytes: number;
  readonly text: string;
  /** The server ended the connection (closed or reset it) before `waitMs`: not a hang. */
  readonly closedByServer: boolean;
}

/** Sends raw bytes and reads until the server closes or `waitMs` passes. */
function raw(port: number, request: string | Buffer, waitMs = 2_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = (closedByServer: boolean) => (): void => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: match ? Number(match[1]) : null, bytes: text.length, text, closedByServer });
    };
    const timer = setTimeout(done(false), waitMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', done(true));
    socket.on('error', done(true));
    socket.write(request);
  });
}

/**
 * Refused with one of `statuses`; or, for a request still being sent when the server answered,
 * a reset that swallowed the answer. Silence until our timeout is never a refusal.
 */
function refused(answer: RawAnswer, statuses: readonly number[]): boolean {
  return answer.status === null ? answer.closedByServer : statuses.includes(answer.status);
}

const get = (path: string, method = 'GET') =>
  `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;

describe('HTTP surface under attack', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = await serveStatus('127.0.0.1:0', {
      status: () => HUGE_STATUS,
      metrics: new ControllerMetrics(['write-corefile']),
    });
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  });

  it('listens on loopback by default', async () => {
    const listen = controllerConfigSchema.parse({}).listen;
    expect(listen).toMatch(/^127\.0\.0\.1:\d+$/);
    const own = await serveStatus(listen.replace(/:\d+$/, ':0'), {
      status: () => INITIAL_STATUS,
      metrics: new ControllerMetrics([]),
    });
    expect((own.address() as AddressInfo).address).toBe('127.0.0.1');
    await new Promise<void>((done) => own.close(() => done()));
  });

  it('answers 405 to every method but GET and HEAD, on every path', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'MKCOL']) {
      for (const path of ['/status', '/healthz', '/metrics', '/apply', '/']) {
        const answer = await raw(
          port,
          `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello`,
        );
        expect(answer.status, `${method} ${path}`).toBe(405);
        expect(answer.text).toMatch(/allow: GET, HEAD/i);
      }
    }
    // CONNECT is a different request form; the server must not tunnel anything.
    const tunnel = await raw(port, 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n', 1_000);
    expect(tunnel.text).not.toMatch(/^HTTP\/1\.1 200/);
    expect(tunnel.text).not.toMatch(/SSH-/);
  });

  it('HEAD sends headers only', async () => {
    const answer = await raw(port, get('/status', 'HEAD'));
    expect(answer.status).toBe(200);
    expect(answer.text.split('\r\n\r\n')[1]).toBe('');
  });

  it('bounds /status however many file errors there are', async () => {
    const answer = await raw(port, get('/status'), 5_000);
    expect(answer.status).toBe(200);
    console.log(`/status with 20,000 errors: ${answer.bytes} bytes`);
    expect(answer.bytes).toBeLessThan(1_000_000);
    expect(answer.text).toContain('"fileErrorCount": 20000');
  });

  it('never serves a file, whatever the path', async () => {
    const paths = [
      '/../../../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/..%2f..%2fetc%2fpasswd',
      '//etc/passwd',
      '/status/../../etc/passwd',
      '/status%00.json',
      '/static/../../etc/shadow',
      '/\\..\\..\\etc\\passwd',
      'http://evil.example/status',
      '*',
      '/status?x=../../etc/passwd',
    ];
    for (const path of paths) {
      const answer = await raw(port, get(path));
      expect(answer.text, path).not.toMatch(/root:|nologin|\/bin\/(ba)?sh/);
      expect([400, 404, 200], path).toContain(answer.status);
      // Only the real endpoints answer 200 (a query string on /status is still /status).
      if (answer.status === 200) expect(path).toMatch(/^\/status\?/);
    }
  });

  it('refuses a 100 KB and a 1 MB URL and a 1 MB header without answering them in full', async () => {
    for (const size of [100_000, 1_000_000]) {
      const answer = await raw(port, get(`/status?${'a'.repeat(size)}`));
      expect(refused(answer, [431, 414, 400]), `${size}: ${answer.status ?? 'no answer'}`).toBe(true);
    }
    const header = await raw(
      port,
      `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'b'.repeat(1_000_000)}\r\n\r\n`,
    );
    expect(refused(header, [431]), `header: ${header.status ?? 'no answer'}`).toBe(true);
    expect((await raw(port, get('/healthz'))).status).toBe(200);
  });

  it('binary garbage and a bad request line get 400, and the server keeps answering', async () => {
    for (const junk of [
      Buffer.from([0, 1, 2, 255, 254, 13, 10, 13, 10]),
      'GET\r\n\r\n',
      'GET / HTTP/9.9\r\n\r\n',
      'GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n',
    ]) {
      const answer = await raw(port, junk, 1_000);
      // Small requests, fully sent: an answer must arrive.
      expect([400, 505], JSON.stringify(String(junk))).toContain(answer.status);
    }
    expect((await raw(port, get('/healthz'))).status).toBe(200);
  });

  it('500 idle connections and a slow client do not stop it from answering', async () => {
    const idle: Socket[] = [];
    for (let i = 0; i < 500; i++) idle.push(connect(port, '127.0.0.1'));
    await Promise.all(idle.map((s) => new Promise((resolve) => s.once('connect', resolve))));
    // A slowloris: half a request line, then a byte at a time.
    const slow = connect(port, '127.0.0.1');
    slow.write('GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const drip = setInterval(() => slow.write('X-A: b\r\n'), 100);
    try {
      const started = performance.now();
      const answer = await raw(port, get('/healthz'));
      expect(answer.status).toBe(200);
      expect(performance.now() - started).toBeLessThan(2_000);
    } finally {
      clearInterval(drip);
      slow.destroy();
      for (const s of idle) s.destroy();
    }
  });

  it('2,000 connections held open: it keeps at most MAX_CONNECTIONS, closing the oldest, and still answers', async () => {
    const flood: Socket[] = [];
    for (let i = 0; i < 2_000; i++) {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      flood.push(socket);
    }
    try {
      await Promise.all(
        flood.map((s) => new Promise((resolve) => (s.once('connect', resolve), s.once('close', resolve)))),
      );
      const open = await new Promise<number>((resolve, reject) =>
        server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      );
      expect(open).toBeLessThanOrEqual(MAX_CONNECTIONS);
      expect((await raw(port, get('/healthz'))).status).toBe(200);
      // The oldest were closed by the server (a test timeout here otherwise).
      const oldest = flood[0];
      if (oldest === undefined) throw new Error('no connection');
      await new Promise((resolve) => (oldest.destroyed ? resolve(null) : oldest.once('close', resolve)));
    } finally {
      for (const s of flood) s.destroy();
    }
  });

  it('drops a client that never finishes its headers (headersTimeout)', async () => {
    const started = performance.now();
    const answer = await raw(port, 'GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n', 15_000);
    const ms = performance.now() - started;
    console.log(`an unfinished request was dropped after ${Math.round(ms)} ms with ${answer.status ?? 'no answer'}`);
    expect(answer.status).toBe(408);
    // headersTimeout is 5 s, checked every second.
    expect(ms).toBeLessThan(8_000);
  }, 20_000);
});
