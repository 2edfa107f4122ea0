import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { NotifyEvent } from '../../src/notify/notify-event.js';
import { createWebhookNotifier } from '../../src/notify/webhook-notifier.js';

/** A real receiver on loopback; `answer` decides each response (or leaves it hanging). */
async function receiver(
  answer: (n: number, req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; bodies: unknown[]; server: Server; arrived: (n: number) => Promise<void> }> {
  const bodies: unknown[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let requests = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      requests++;
      bodies.push(JSON.parse(body));
      for (const w of waiters.filter((x) => x.n <= requests)) w.resolve();
      answer(requests, req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    bodies,
    server,
    arrived: (n) => new Promise<void>((resolve) => (requests >= n ? resolve() : waiters.push({ n, resolve }))),
  };
}

const event = (i: number): NotifyEvent => ({
  event: 'drift_repaired',
  time: '2026-12-02T06:00:00.000Z',
  cell: 'home',
  reconcile: `r${i}`,
  summary: `${i}`,
  details: { i },
});

async function metric(registry: Registry, name: string, reason?: string): Promise<number> {
  const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  return values.filter((v) => reason === undefined || v.labels['reason'] === reason).reduce((s, v) => s + v.value, 0);
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

describe('webhook notifier against a receiver on 127.0.0.1', () => {
  it('delivers each event as one JSON POST, in order, without blocking publish', async () => {
    const r = await receiver((_, req, res) =>
      res.writeHead(req.headers['content-type'] === 'application/json' ? 204 : 415).end(),
    );
    servers.push(r.server);
    const registry = new Registry();
    const notifier = createWebhookNotifier({ webhook: r.url, registry });
    notifier.publish([event(1), event(2)]);
    await r.arrived(2);
    await notifier.close();
    expect(r.bodies).toEqual([event(1), event(2)]);
    expect(await metric(registry, 'pic_notify_events_sent_total')).toBe(2);
  });

  it('retries after a 500 with backoff and delivers', async () => {
    const r = await receiver((n, _, res) => res.writeHead(n === 1 ? 500 : 200).end());
    servers.push(r.server);
    const registry = new Registry();
    const notifier = createWebhookNotifier({ webhook: r.url, registry, backoffMs: 50 });
    notifier.publish([event(1)]);
    await r.arrived(2);
    await notifier.close();
    expect(r.bodies).toEqual([event(1), event(1)]);
    expect(await metric(registry, 'pic_notify_events_sent_total')).toBe(1);
    expect(await metric(registry, 'pic_notify_events_dropped_total')).toBe(0);
  });

  it('drops what does not fit in the queue and counts it', async () => {
    const r = await receiver((_, __, res) => res.writeHead(200).end());
    servers.push(r.server);
    const registry = new Registry();
    const notifier = createWebhookNotifier({ webhook: r.url, registry, queueLimit: 3 });
    notifier.publish([1, 2, 3, 4, 5].map(event));
    await notifier.close();
    expect(await metric(registry, 'pic_notify_events_dropped_total', 'queue_full')).toBe(2);
    expect(r.bodies).toEqual([1, 2, 3].map(event));
  });

  it('gives up on a hanging receiver after the timeout, and close() returns by its deadline', async () => {
    const r = await receiver(() => undefined);
    servers.push(r.server);
    const registry = new Registry();
    const errors: string[] = [];
    const notifier = createWebhookNotifier({
      webhook: r.url,
      registry,
      timeoutMs: 100,
      attempts: 2,
      backoffMs: 10,
      onError: (m) => errors.push(m),
    });
    notifier.publish([event(1)]);
    await r.arrived(2);
    // Both attempts timed out: the event is dropped as failed.
    await expect.poll(() => metric(registry, 'pic_notify_events_dropped_total', 'failed')).toBe(1);
    expect(errors[0]).toContain('no answer within 100 ms');
    notifier.publish([event(2), event(3)]);
    const started = performance.now();
    await notifier.close(50);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await metric(registry, 'pic_notify_events_dropped_total', 'closed')).toBe(2);
  });

  it('close() with nothing queued returns at once, and later events are counted as dropped', async () => {
    const registry = new Registry();
    const notifier = createWebhookNotifier({ webhook: 'http://127.0.0.1:9/none', registry });
    await notifier.close();
    notifier.publish([event(1)]);
    expect(await metric(registry, 'pic_notify_events_dropped_total', 'closed')).toBe(1);
  });
});
