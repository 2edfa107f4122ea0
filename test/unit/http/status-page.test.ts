import { createHash } from 'node:crypto';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatus } from '../../../src/http/serve-status.js';
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from '../../../src/http/status-page.js';
import { INITIAL_STATUS } from '../../../src/status/controller-status.js';

const inlineBlocks = (tag: string): string[] =>
  [...STATUS_PAGE_HTML.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1] ?? '');
const hashOf = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

describe('status page route', () => {
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = await serveStatus('127.0.0.1:0', { status: () => INITIAL_STATUS, metrics: { registry: new Registry() } });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((done) => server.close(done));
  });

  it('serves the page on GET / with a CSP that allows only its own inline style and script', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toBe(STATUS_PAGE_CSP);
    expect(csp.split('; ')).toEqual(
      expect.arrayContaining(["default-src 'none'", "connect-src 'self'", "frame-ancestors 'none'"]),
    );
    const [script] = inlineBlocks('script');
    const [style] = inlineBlocks('style');
    expect(csp).toContain(`script-src ${hashOf(script ?? '')}`);
    expect(csp).toContain(`style-src ${hashOf(style ?? '')}`);
    expect(await res.text()).toBe(STATUS_PAGE_HTML);
  });

  it('is self-contained: no external script, style, font or image, no inline handler, no innerHTML', () => {
    expect(STATUS_PAGE_HTML).not.toMatch(/\b(src|href)\s*=/i);
    expect(STATUS_PAGE_HTML).not.toMatch(/@import|url\(|\son[a-z]+\s*=/i);
    expect(STATUS_PAGE_HTML).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    expect(inlineBlocks('script')).toHaveLength(1);
    expect(inlineBlocks('style')).toHaveLength(1);
  });

  it('answers HEAD / with the headers and no body, refuses other methods and a foreign Host', async () => {
    const head = await fetch(`${base}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(Buffer.byteLength(STATUS_PAGE_HTML));
    expect(await head.text()).toBe('');
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(405);
    const { port } = server.address() as AddressInfo;
    // fetch cannot set Host; a DNS-rebinding page's request carries the attacker's name.
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/', headers: { host: `evil.example:${port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(rebound).toBe(421);
  });
});
