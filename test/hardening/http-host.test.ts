/**
 * DNS rebinding, over raw sockets: a page served from an attacker's name, once that name
 * resolves to 127.0.0.1, sends requests with the attacker's Host. Only Hosts that name the
 * listen address get an answer; the rest get 421 and no status.
 */
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostAllowed } from '../../src/http/host-allowed.js';
import { ControllerMetrics } from '../../src/status/metrics.js';
import { serveStatus } from '../../src/http/serve-status.js';
import { INITIAL_STATUS } from '../../src/status/controller-status.js';

/** One raw request; resolves with the whole answer once the server closes the connection. */
function send(port: number, host: string, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    socket.write(request);
  });
}

const request = (path: string, hostHeader: string | null): string =>
  `GET ${path} HTTP/1.1\r\n${hostHeader === null ? '' : `Host: ${hostHeader}\r\n`}Connection: close\r\n\r\n`;

async function statusLine(
  port: number,
  connectTo: string,
  path: string,
  hostHeader: string | null,
): Promise<{ code: number; body: string }> {
  const text = await send(port, connectTo, request(path, hostHeader));
  const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
  if (match === null) throw new Error(`no HTTP answer: ${JSON.stringify(text.slice(0, 80))}`);
  return { code: Number(match[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4) };
}

describe('HTTP Host check (DNS rebinding)', () => {
  const servers: Server[] = [];
  let port4 = 0;
  let port6 = 0;

  beforeAll(async () => {
    const source = { status: () => INITIAL_STATUS, metrics: new ControllerMetrics([]) };
    servers.push(await serveStatus('127.0.0.1:0', source), await serveStatus('[::1]:0', source));
    port4 = (servers[0]?.address() as AddressInfo).port;
    port6 = (servers[1]?.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    }
  });

  it('answers the loopback names and the listen address, with or without the port', async () => {
    for (const host of ['127.0.0.1', `127.0.0.1:${port4}`, 'localhost', `LOCALHOST:${port4}`, '[::1]']) {
      const answer = await statusLine(port4, '127.0.0.1', '/status', host);
      expect({ host, code: answer.code }).toEqual({ host, code: 200 });
      expect(JSON.parse(answer.body)).toHaveProperty('conditions');
    }
    expect((await statusLine(port6, '::1', '/readyz', `[::1]:${port6}`)).code).toBe(503);
  });

  it('refuses any other Host with 421 and no status, on every path', async () => {
    const hostile = [
      'evil.example',
      `evil.example:${port4}`,
      'localhost.evil.example',
      '127.0.0.1.nip.io',
      `127.0.0.1:${port4 + 1}`,
      '10.9.8.7',
      'localhost.',
      '[::1',
      'a b',
    ];
    for (const host of hostile) {
      for (const path of ['/status', '/metrics', '/readyz', '/healthz']) {
        const answer = await statusLine(port4, '127.0.0.1', path, host);
        expect({ host, path, code: answer.code }).toEqual({ host, path, code: 421 });
        expect(answer.body).not.toMatch(/conditions|pic_/);
      }
    }
    // An IP literal that is not the listen address is refused too.
    expect((await statusLine(port6, '::1', '/status', `10.0.0.1:${port6}`)).code).toBe(421);
  });

  it('decides by the rule: exact literal, or any literal on a wildcard listen; never a name', () => {
    expect(hostAllowed('10.1.2.3:9470', '10.1.2.3', 9470)).toBe(true);
    expect(hostAllowed('10.1.2.4:9470', '10.1.2.3', 9470)).toBe(false);
    expect(hostAllowed('10.1.2.4:9470', '0.0.0.0', 9470)).toBe(true);
    expect(hostAllowed('[fd00::1]:9470', '::', 9470)).toBe(true);
    expect(hostAllowed('cell.lan:9470', '0.0.0.0', 9470)).toBe(false);
    expect(hostAllowed(undefined, '127.0.0.1', 9470)).toBe(true);
  });
});
