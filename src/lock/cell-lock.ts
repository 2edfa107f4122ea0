/**
 * One writer per cell (`run`, `apply`, `import`), across processes.
 *
 * The lock is a Linux abstract unix socket named after the cell's wireguard locator: binding
 * it succeeds for exactly one process, the kernel frees it the moment that process ends (a
 * SIGKILL or a crash included: no stale lock to clean up), and the holder answers whoever
 * connects with its PID and command line, so a refusal names it. Abstract sockets belong to
 * a network namespace: every process in the host's (the CLI, the deployed controller with
 * `network_mode: host`) sees the same lock. Keyed by the locator, not the state folder or the
 * status folder, so two controllers given different folders for one cell still collide.
 */
import { createHash } from 'node:crypto';
import { connect, createServer, type Server } from 'node:net';
import { locatorText, type CommandLocator } from '../model/locator.js';

export interface CellLock {
  /** Frees the lock (also freed when the process exits). */
  release(): Promise<void>;
}

interface Holder {
  readonly pid: number;
  readonly command: string;
  readonly since: string;
}

/** How long a refused writer waits for the holder to say who it is; a busy holder (a large pass) may take a moment. */
const ASK_TIMEOUT_MS = 3_000;

/** The socket name for a cell: a hash keeps any locator within the 107-byte limit and free of odd bytes. */
export function cellLockName(locator: string): string {
  return `\0pic-reconciler/cell-lock/${createHash('sha256').update(locator).digest('hex').slice(0, 32)}`;
}

/** Takes the cell's lock, or says (one line) who holds it. Never waits. */
export async function acquireCellLock(
  locator: string,
): Promise<{ ok: true; lock: CellLock } | { ok: false; error: string }> {
  const name = cellLockName(locator);
  const holder: Holder = {
    pid: process.pid,
    command: process.argv.slice(1).join(' '),
    since: new Date().toISOString(),
  };
  const server = createServer((socket) => socket.end(`${JSON.stringify(holder)}\n`));
  const bound = await new Promise<NodeJS.ErrnoException | null>((done) => {
    server.once('error', done);
    server.listen(name, () => {
      server.off('error', done);
      done(null);
    });
  });
  if (bound === null) {
    // The lock must not keep a finished command alive.
    server.unref();
    return { ok: true, lock: { release: () => close(server) } };
  }
  if (bound.code !== 'EADDRINUSE')
    return { ok: false, error: `${locator}: cannot take the cell lock: ${bound.message}` };
  const other = await askHolder(name);
  const who =
    other === null
      ? 'another process (it did not say which)'
      : `pid ${other.pid} (${other.command}) since ${other.since}`;
  return {
    ok: false,
    error: `${locator}: another writer holds this cell: ${who}; only one of run, apply and import may change a cell at a time`,
  };
}

/** Takes the lock of the cell whose wireguard role lives at `wireguard` for the rest of the process's life; returns the refusal line, or null once held. */
export async function holdCellLock(wireguard: CommandLocator): Promise<string | null> {
  const result = await acquireCellLock(locatorText(wireguard));
  return result.ok ? null : result.error;
}

function askHolder(name: string): Promise<Holder | null> {
  return new Promise((done) => {
    const socket = connect(name);
    let text = '';
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      done(parseHolder(text));
    };
    const timer = setTimeout(finish, ASK_TIMEOUT_MS);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk.slice(0, 4_096)));
    socket.on('end', finish);
    socket.on('error', finish);
  });
}

function parseHolder(text: string): Holder | null {
  try {
    const value = JSON.parse(text) as Partial<Holder>;
    if (typeof value.pid !== 'number' || typeof value.command !== 'string' || typeof value.since !== 'string')
      return null;
    return { pid: value.pid, command: value.command.slice(0, 300), since: value.since.slice(0, 40) };
  } catch {
    return null;
  }
}

function close(server: Server): Promise<void> {
  return new Promise((done) => server.close(() => done()));
}
