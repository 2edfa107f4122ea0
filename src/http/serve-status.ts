import { createServer, type Server } from 'node:http';
import { boundConnections } from './bound-connections.js';
import { hostAllowed } from './host-allowed.js';
import type { ControllerMetrics } from '../status/metrics.js';
import { STATUS_PAGE_HEADERS, STATUS_PAGE_HTML } from './status-page.js';

/** The part of /status this server reads; the loop's ControllerStatus is one (http/ imports nothing from loop/). */
export interface StatusDocument {
  readonly conditions: readonly { readonly type: string; readonly status: string }[];
  readonly fileErrors: readonly unknown[];
}

/** What the server serves from; the controller implements it. */
export interface StatusSource {
  status(): StatusDocument;
  readonly metrics: Pick<ControllerMetrics, 'registry'>;
}

function isReady(status: StatusDocument): boolean {
  return status.conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Most file errors listed in one /status answer; the count is always exact. */
const MAX_LISTED_ERRORS = 200;

/**
 * Read-only HTTP surface: / (the status page), /healthz, /readyz, /metrics, /status. GET and HEAD only;
 * nothing here can change the cell. Binds where `listen` says (loopback by default), and
 * answers only a Host that names that address (421 otherwise: DNS rebinding).
 */
export async function serveStatus(listen: string, source: StatusSource): Promise<Server> {
  const { host, port } = splitListen(listen);
  // Node checks the header and request timeouts only every connectionsCheckingInterval (30 s by default).
  const server = createServer({ connectionsCheckingInterval: 1_000 }, (req, res) => {
    const address = server.address();
    if (!hostAllowed(req.headers.host, host, typeof address === 'object' && address !== null ? address.port : port)) {
      res
        .writeHead(421, { 'content-type': 'text/plain', connection: 'close' })
        .end('misdirected request: this Host is not served here\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    const send = (code: number, type: string, body: string, headers: Readonly<Record<string, string>> = {}): void => {
      res.writeHead(code, {
        ...headers,
        'content-type': type,
        'content-length': Buffer.byteLength(body),
        'cache-control': 'no-store',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const path = (req.url ?? '/').split('?')[0];
    const status = source.status();
    switch (path) {
      case '/':
        send(200, 'text/html; charset=utf-8', STATUS_PAGE_HTML, STATUS_PAGE_HEADERS);
        return;
      case '/healthz':
        send(200, 'text/plain', 'ok\n');
        return;
      case '/readyz':
        send(isReady(status) ? 200 : 503, 'text/plain', isReady(status) ? 'ready\n' : 'not ready\n');
        return;
      case '/status': {
        const bounded = {
          ...status,
          fileErrorCount: status.fileErrors.length,
          fileErrors: status.fileErrors.slice(0, MAX_LISTED_ERRORS),
        };
        send(200, 'application/json', `${JSON.stringify(bounded, null, 2)}\n`);
        return;
      }
      case '/metrics':
        source.metrics.registry.metrics().then(
          (text) => send(200, source.metrics.registry.contentType, text),
          (error: Error) => send(500, 'text/plain', `${error.message}\n`),
        );
        return;
      default:
        send(404, 'text/plain', 'not found\n');
    }
  });
  boundConnections(server);
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  return server;
}

export function splitListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  return { host: listen.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(listen.slice(at + 1)) };
}
