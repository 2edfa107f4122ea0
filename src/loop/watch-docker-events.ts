import type Docker from 'dockerode';

export interface DockerEventsWatcher {
  /** True while the event stream is connected. */
  readonly connected: boolean;
  close(): void;
}

export interface DockerEventsOptions {
  /** Container names whose lifecycle matters (the role containers). */
  readonly containers: readonly string[];
  /** Called for start/restart/die/destroy of one of them, and after every (re)connect. */
  readonly onEvent: (reason: string) => void;
  readonly onConnectionChange?: (connected: boolean, error: string | null) => void;
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
}

interface DockerEvent {
  readonly Type?: string;
  readonly Action?: string;
  readonly Actor?: { readonly Attributes?: Readonly<Record<string, string>> };
}

const ACTIONS = ['start', 'restart', 'die', 'destroy'];

/**
 * Follows Docker's event stream for the role containers, reconnecting with exponential
 * backoff when dockerd goes away; a reconnect triggers a reconcile, since events may have been missed.
 */
export function watchDockerEvents(docker: Docker, options: DockerEventsOptions): DockerEventsWatcher {
  const names = new Set(options.containers);
  const base = options.backoffBaseMs ?? 250;
  const max = options.backoffMaxMs ?? 5_000;
  let attempt = 0;
  let closed = false;
  let connected = false;
  let stream: NodeJS.ReadableStream | null = null;
  let timer: NodeJS.Timeout | null = null;

  const setConnected = (value: boolean, error: string | null): void => {
    if (connected !== value) options.onConnectionChange?.(value, error);
    connected = value;
  };

  const retry = (error: string | null): void => {
    stream = null;
    setConnected(false, error);
    if (closed) return;
    const delay = Math.min(max, base * 2 ** attempt);
    attempt++;
    timer = setTimeout(connect, delay);
  };

  const connect = (): void => {
    timer = null;
    if (closed) return;
    docker.getEvents({ filters: { type: ['container'], event: ACTIONS } }).then(
      (events) => {
        if (closed) {
          (events as unknown as { destroy?: () => void }).destroy?.();
          return;
        }
        stream = events;
        attempt = 0;
        setConnected(true, null);
        options.onEvent('docker-reconnect');
        let buffer = '';
        events.on('data', (chunk: Buffer) => {
          buffer += chunk.toString('utf8');
          let newline: number;
          while ((newline = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, newline).trim();
            buffer = buffer.slice(newline + 1);
            if (line === '') continue;
            try {
              const event = JSON.parse(line) as DockerEvent;
              const name = event.Actor?.Attributes?.['name'];
              if (event.Type === 'container' && name !== undefined && names.has(name)) options.onEvent(`docker-${event.Action ?? 'event'}:${name}`);
            } catch {
              // A partial or foreign line; the next resync covers anything missed.
            }
          }
        });
        let ended = false;
        const endOnce = (reason: string): void => {
          if (ended) return;
          ended = true;
          retry(reason);
        };
        events.on('end', () => endOnce('event stream ended'));
        events.on('error', (error: Error) => endOnce(error.message));
      },
      (error: Error) => retry(error.message),
    );
  };

  connect();
  return {
    get connected() {
      return connected;
    },
    close() {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      (stream as unknown as { destroy?: () => void } | null)?.destroy?.();
    },
  };
}
