import { setTimeout as sleep } from 'node:timers/promises';
import { Counter, type Registry } from 'prom-client';
import type { NotifyEvent } from './notify-event.js';

export interface NotifierOptions {
  readonly webhook: string;
  readonly registry: Registry;
  /** Events waiting beyond this are dropped (and counted): a dead receiver must not grow memory. */
  readonly queueLimit?: number;
  /** Per request. */
  readonly timeoutMs?: number;
  /** Attempts per event, the first included. */
  readonly attempts?: number;
  /** First pause between attempts; doubled each time, with up to half of it added at random. */
  readonly backoffMs?: number;
  readonly onError?: (message: string) => void;
}

export interface Notifier {
  /** Queues the events and returns at once; never throws, never waits for the network. */
  publish(events: readonly NotifyEvent[]): void;
  /** Stops taking events and delivers what is queued until the deadline; then gives up on the rest. */
  close(deadlineMs?: number): Promise<void>;
}

export const NOTIFY_DEFAULTS = { queueLimit: 100, timeoutMs: 2000, attempts: 5, backoffMs: 500 } as const;

/**
 * POSTs one JSON event per request to the webhook, in order, one at a time. A failed request
 * (network error, timeout, a status other than 2xx) is retried with exponential backoff; after
 * the last attempt the event is dropped. Every dropped event is counted in
 * `pic_notify_events_dropped_total{reason}`; delivered ones in `pic_notify_events_sent_total`.
 */
export function createWebhookNotifier(options: NotifierOptions): Notifier {
  const limit = options.queueLimit ?? NOTIFY_DEFAULTS.queueLimit;
  const timeoutMs = options.timeoutMs ?? NOTIFY_DEFAULTS.timeoutMs;
  const attempts = options.attempts ?? NOTIFY_DEFAULTS.attempts;
  const backoffMs = options.backoffMs ?? NOTIFY_DEFAULTS.backoffMs;
  const sent = new Counter({
    name: 'pic_notify_events_sent_total',
    help: 'Events delivered to the webhook',
    registers: [options.registry],
  });
  const dropped = new Counter({
    name: 'pic_notify_events_dropped_total',
    help: 'Events not delivered, by reason (queue_full, failed, closed)',
    labelNames: ['reason'],
    registers: [options.registry],
  });
  for (const reason of ['queue_full', 'failed', 'closed']) dropped.inc({ reason }, 0);

  const queue: NotifyEvent[] = [];
  const stop = new AbortController();
  let closed = false;
  let worker: Promise<void> | null = null;

  const post = async (event: NotifyEvent): Promise<string | null> => {
    try {
      const response = await fetch(options.webhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(event),
        signal: AbortSignal.any([stop.signal, AbortSignal.timeout(timeoutMs)]),
        redirect: 'error',
      });
      await response.body?.cancel();
      return response.ok ? null : `HTTP ${response.status}`;
    } catch (error) {
      return error instanceof Error && error.name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : (error as Error).message;
    }
  };

  // Ends early on close; the timer's own abort handling leaves no listener behind on the stop signal.
  const pause = (ms: number): Promise<void> => sleep(ms, undefined, { signal: stop.signal }).catch(() => undefined);

  const deliver = async (event: NotifyEvent): Promise<void> => {
    let error: string | null = null;
    for (let attempt = 0; attempt < attempts && !stop.signal.aborted; attempt++) {
      if (attempt > 0) await pause(backoffMs * 2 ** (attempt - 1) * (1 + Math.random() / 2));
      if (stop.signal.aborted) break;
      error = await post(event);
      if (error === null) {
        sent.inc();
        return;
      }
    }
    dropped.inc({ reason: stop.signal.aborted ? 'closed' : 'failed' });
    options.onError?.(`notify: ${event.event} not delivered: ${error ?? 'closed'}`);
  };

  const drain = async (): Promise<void> => {
    for (let event = queue.shift(); event !== undefined; event = queue.shift()) await deliver(event);
    worker = null;
  };

  return {
    publish(events) {
      for (const event of events) {
        if (closed || queue.length >= limit) {
          dropped.inc({ reason: closed ? 'closed' : 'queue_full' });
          continue;
        }
        queue.push(event);
      }
      // drain() reaches an await before it clears `worker`, since the queue is not empty.
      if (queue.length > 0) worker ??= drain();
    },
    async close(deadlineMs = 2000) {
      closed = true;
      if (worker === null) return;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
      await Promise.race([worker, deadline]);
      clearTimeout(timer);
      stop.abort();
      dropped.inc({ reason: 'closed' }, queue.splice(0).length);
      await worker;
    },
  };
}
