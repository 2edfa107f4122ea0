import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';

export interface DockerEventsWatcher {
  /** True while the event stream is connected. */
  readonly connected: boolean;
  close(): void;
}

export interface DockerEventsOptions {
  /** Container names whose lifecycle matters (the role containers). */
  readonly containers: readonly string[];
  /**
   * Called with a reason for start/restart/die/destroy of one of them, for a network
   * (dis)connect of one of them (its IP may change), and after every connect and disconnect
   * of the stream itself (events may have been missed; targets may be unreachable).
   */
  readonly onEvent: (reason: string) => void;
  readonly onConnectionChange?: (connected: boolean, error: string | null) => void;
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
}

interface DockerEvent {
  readonly Type?: string;
  readonly Action?: string;
  readonly Actor?: { readonly ID?: string; readonly Attributes?: Readonly<Record<string, string>> };
}

const CONTAINER_ACTIONS = ['start', 'restart', 'die', 'destroy'];
const NETWORK_ACTIONS = ['connect', 'disconnect'];

/**
 * Follows Docker's event stream for the role containers, reconnecting with exponential
 * backoff when dockerd goes away. Network events name containers by id only, so the ids of
 * the role containers are learnt from a listing at each connect and from their own events.
 */
export function watchDockerEvents(docker: Docker, options: DockerEventsOptions): DockerEventsWatcher {
  const names = new Set(options.containers);
  const idToName = new Map<string, string>();
  const base = options.backoffBaseMs ?? 250;
  const max = options.backoffMaxMs ?? 5_000;
  let attempt = 0;
  let closed = false;
  let connected = false;
  let stream: Readable | null = null;
  let timer: NodeJS.Timeout | null = null;

  const setConnected = (value: boolean, error: string | null): void => {
    if (connected === value) return;
    connected = value;
    options.onConnectionChange?.(value, error);
    options.onEvent(value ? 'docker-reconnect' : 'docker-disconnect');
  };

  const retry = (error: string | null): void => {
    stream = null;
    if (closed) return;
    setConnected(false, error);
    const delay = Math.min(max, base * 2 ** attempt);
    attempt++;
    timer = setTimeout(connect, delay);
  };

  const learnIds = (): void => {
    docker.listContainers({ all: true, filters: { name: [...names] } }).then(
      (list) => {
        for (const container of list) {
          const name = container.Names.map((n) => n.replace(/^\//, '')).find((n) => names.has(n));
          if (name !== undefined) idToName.set(container.Id, name);
        }
      },
      // Without ids only network events are missed; container events still name the container.
      () => undefined,
    );
  };

  const handle = (event: DockerEvent): void => {
    const id = event.Actor?.ID ?? '';
    const attributes = event.Actor?.Attributes ?? {};
    if (event.Type === 'container') {
      const name = attributes['name'];
      if (name === undefined || !names.has(name)) return;
      if (event.Action === 'destroy') idToName.delete(id);
      else idToName.set(id, name);
      options.onEvent(`docker-${event.Action ?? 'event'}:${name}`);
    } else if (event.Type === 'network') {
      const name = idToName.get(attributes['container'] ?? '');
      if (name !== undefined) options.onEvent(`docker-network-${event.Action ?? 'event'}:${name}`);
    }
  };

  const follow = (events: Readable): void => {
    // Docker writes one JSON object a line; readline joins lines (and UTF-8) cut across chunks.
    createInterface({ input: events, crlfDelay: Infinity })
      .on('line', (line: string) => {
        const event = parseEvent(line);
        if (event !== null) handle(event);
      })
      // readline re-emits the stream's errors (ECONNRESET when dockerd goes away): the stream's own
      // listener below reconnects; unheard here, the error would crash the process.
      .on('error', () => undefined);
    let ended = false;
    const endOnce = (reason: string): void => {
      if (ended) return;
      ended = true;
      retry(reason);
    };
    events.on('end', () => endOnce('event stream ended'));
    events.on('close', () => endOnce('event stream closed'));
    events.on('error', (error: Error) => endOnce(error.message));
  };

  const connect = (): void => {
    timer = null;
    if (closed) return;
    docker
      .getEvents({ filters: { type: ['container', 'network'], event: [...CONTAINER_ACTIONS, ...NETWORK_ACTIONS] } })
      .then(
        (response) => {
          // dockerode types the stream as a plain ReadableStream; it is the http.IncomingMessage.
          const events = response as Readable;
          if (closed) {
            events.destroy();
            return;
          }
          stream = events;
          attempt = 0;
          follow(events);
          learnIds();
          setConnected(true, null);
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
      stream?.destroy();
    },
  };
}

/** One line of the stream; a foreign or broken line is skipped (the next resync covers anything missed). */
function parseEvent(line: string): DockerEvent | null {
  if (line.trim() === '') return null;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as DockerEvent) : null;
  } catch {
    return null;
  }
}
