/**
 * One writer per cell (`run`, `apply`, `import`, the demo), across processes.
 *
 * The lock is flock(2) on a file in a folder only root (or the controller's own account) can
 * make and write (`lock_dir`, /run/pic-reconciler by default; see lock-folder.ts), named after
 * the cell's wireguard locator, so two controllers given different state or status folders for
 * one cell still collide. The kernel drops it when the holder's last fd closes (a SIGKILL or a
 * crash included), so a crash never leaves the cell locked, and another local user can neither
 * take it first nor reach the holder: there is no socket to connect to. The holder writes who
 * it is beside the lock; a refusal names it. Commands the holder spawns inherit the lock, so a
 * killed holder's `iptables-restore` still in flight keeps the cell until it ends, and the next
 * writer waits for it instead of racing it.
 */
import { closeSync, constants, fchownSync, fstatSync, openSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { folderOwnerForRoot, type FileOwner } from '../apply/folder-owner.js';
import { writeFileAtomic } from '../apply/write-file-atomic.js';
import { locatorText, type CommandLocator } from '../model/locator.js';
import { inheritInChildren, stopInheriting } from '../targets/inherited-fds.js';
import { tryFlock } from './flock.js';
import { prepareLockFolder } from './lock-folder.js';
import { liveness, ownIdentity, type ProcessIdentity } from './process-identity.js';

export interface CellLock {
  /** Frees the lock (also freed when the process exits). */
  release(): Promise<void>;
}

export interface LockOptions {
  readonly folder: string;
  /** How long to wait for commands a dead holder left running (default 60 s). */
  readonly orphanWaitMs?: number;
  /** One line for the operator while waiting. */
  readonly note?: (line: string) => void;
}

interface Holder {
  readonly identity: ProcessIdentity;
  readonly command: string;
  readonly since: string;
  readonly locator: string;
}

export type LockResult = { ok: true; lock: CellLock } | { ok: false; error: string };

const POLL_MS = 200;
/** A holder writes its record right after it takes the lock; this long without one is a refusal. */
const RECORD_GRACE_MS = 2_000;

/** The file names of a cell's lock: a hash keeps any locator short and free of odd bytes. */
export function cellLockPaths(folder: string, locator: string): { readonly lock: string; readonly holder: string } {
  const name = `cell-${createHash('sha256').update(locator).digest('hex').slice(0, 32)}`;
  return { lock: join(folder, `${name}.lock`), holder: join(folder, `${name}.holder.json`) };
}

/** Takes the cell's lock, or says (one line) who holds it. Waits only for commands of a holder that is gone. */
export async function acquireCellLock(locator: string, options: LockOptions): Promise<LockResult> {
  const refuse = (why: string): LockResult => ({ ok: false, error: `${locator}: ${why}` });
  const problem = await prepareLockFolder(options.folder);
  if (problem !== null) return refuse(`cannot take the cell lock: ${problem}`);
  const paths = cellLockPaths(options.folder, locator);
  const owner = await folderOwnerForRoot(options.folder);
  let fd: number;
  try {
    fd = openLockFile(paths.lock, owner);
    if (!fstatSync(fd).isFile()) {
      closeSync(fd);
      return refuse(`cannot take the cell lock: ${paths.lock} is not a regular file`);
    }
  } catch (error) {
    return refuse(
      `cannot take the cell lock: ${paths.lock}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const waitMs = options.orphanWaitMs ?? 60_000;
  const started = performance.now();
  let announced = false;
  for (;;) {
    const outcome = await tryFlock(fd);
    if (outcome === 'locked') break;
    if (outcome !== 'busy') {
      closeSync(fd);
      return refuse(`cannot take the cell lock: ${outcome.error}`);
    }
    const holder = await readHolder(paths.holder);
    const waited = performance.now() - started;
    const gone = holder !== null && liveness(holder.identity) === 'gone';
    if ((holder !== null && !gone) || (holder === null && waited > RECORD_GRACE_MS) || waited > waitMs) {
      closeSync(fd);
      return refuse(refusal(holder, gone, waitMs));
    }
    if (gone && !announced) {
      announced = true;
      options.note?.(
        `${locator}: the last writer (pid ${holder.identity.pid}) is gone but a command it started still holds the cell; waiting up to ${Math.round(waitMs / 1000)} s for it to end`,
      );
    }
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
  const identity = ownIdentity();
  const record: Holder = {
    identity,
    command: process.argv.slice(1).join(' '),
    since: new Date().toISOString(),
    locator,
  };
  try {
    await writeFileAtomic(paths.holder, `${JSON.stringify(record)}\n`, {
      privateMode: 0o600,
      ...(owner === null ? {} : { owner }),
    });
  } catch (error) {
    closeSync(fd);
    return refuse(`cannot take the cell lock: ${paths.holder}: ${(error as Error).message}`);
  }
  inheritInChildren(fd);
  let released = false;
  return {
    ok: true,
    lock: {
      async release() {
        if (released) return;
        released = true;
        const now = await readHolder(paths.holder);
        if (now !== null && now.identity.start === identity.start && now.identity.pid === identity.pid)
          await unlink(paths.holder).catch(() => undefined);
        stopInheriting(fd);
        closeSync(fd);
      },
    },
  };
}

/**
 * Read-only, never truncated or written: the lock is the open file, not its content. Only a
 * file this call created is handed to `owner` (by its fd), so a name planted in the owner's
 * folder (a hard link to a file of root's) is never given away.
 */
function openLockFile(path: string, owner: FileOwner | null): number {
  const flags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  if (owner !== null) {
    try {
      const fd = openSync(path, flags | constants.O_CREAT | constants.O_EXCL, 0o600);
      fchownSync(fd, owner.uid, owner.gid);
      return fd;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const fd = openSync(path, flags | constants.O_CREAT, 0o600);
  // A name with a second link is someone's file linked in (fs.protected_hardlinks=0): never lock it.
  const info = fstatSync(fd);
  if (owner !== null && (info.nlink !== 1 || (info.uid !== 0 && info.uid !== owner.uid))) {
    closeSync(fd);
    throw new Error('a planted file (a second link or another owner); refusing to lock it');
  }
  return fd;
}

function refusal(holder: Holder | null, gone: boolean, waitMs: number): string {
  if (holder === null) return 'another writer holds this cell (it left no record of who it is)';
  const who = `pid ${holder.identity.pid} (${holder.command.slice(0, 300)}) since ${holder.since.slice(0, 40)}`;
  if (gone)
    return `a command started by the last writer, ${who}, still holds this cell after ${Math.round(waitMs / 1000)} s; find it with \`fuser -v\` on the lock file and end it`;
  return `another writer holds this cell: ${who}; only one of run, apply, import and the demo may change a cell at a time`;
}

/** The holder's record, or null when there is none or it is not a record (a folder, a link, damaged). */
async function readHolder(path: string): Promise<Holder | null> {
  let text: string;
  try {
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const info = await handle.stat();
      if (!info.isFile() || info.size > 8_192) return null;
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
  try {
    const value = JSON.parse(text) as Partial<Holder>;
    const id = value.identity;
    if (
      id === undefined ||
      typeof id.pid !== 'number' ||
      typeof id.start !== 'string' ||
      typeof id.boot !== 'string' ||
      typeof id.pidNamespace !== 'string' ||
      typeof value.command !== 'string' ||
      typeof value.since !== 'string'
    )
      return null;
    return { identity: id, command: value.command, since: value.since, locator: String(value.locator) };
  } catch {
    return null;
  }
}

/** Takes the lock of the cell whose wireguard role lives at `wireguard` for the rest of the process's life; returns the refusal line, or null once held. */
export async function holdCellLock(
  wireguard: CommandLocator,
  folder: string,
  note?: (line: string) => void,
): Promise<string | null> {
  const result = await acquireCellLock(locatorText(wireguard), { folder, ...(note === undefined ? {} : { note }) });
  return result.ok ? null : result.error;
}
