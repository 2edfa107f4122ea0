import { lstat, realpath, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { debounce } from './debounce.js';
import { isIgnoredName } from '../load/read-state-dir.js';

export interface StateDirWatcher {
  close(): Promise<void>;
}

/** A watch that never reports ready (a folder gone mid-scan) must not stall every later burst. */
const READY_TIMEOUT_MS = 2_000;
/** While the folder cannot be resolved (a dangling symlink), how often to look for it again. */
const MISSING_POLL_MS = 1_000;

function ready(watcher: FSWatcher): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(done, READY_TIMEOUT_MS);
    watcher.once('ready', () => {
      clearTimeout(timer);
      done();
    });
  });
}

/**
 * The folder entries that decide where `dir` points: `dir` itself in its parent, and every
 * symlinked ancestor in its own parent (git-sync publishes a revision by renaming a new
 * symlink over the old one).
 */
async function anchorEntries(dir: string): Promise<string[]> {
  const entries = new Set<string>([dir]);
  for (let path = dirname(dir); dirname(path) !== path; path = dirname(path)) {
    const info = await lstat(path).catch(() => null);
    if (info?.isSymbolicLink()) entries.add(path);
  }
  return [...entries];
}

/**
 * Watches a state folder and calls `onChange` once per burst of changes (`quietMs` after the
 * last event, at most `maxWaitMs` after the first), after the burst has settled.
 *
 * Survives what GitOps and editors do to it: editors' atomic saves (write temp, rename),
 * git-sync's atomic symlink swap (the folder's real path changes; the old tree is deleted),
 * and the folder being deleted and created again. A second watch on the parents of the
 * folder and of its symlinked ancestors sees those swaps; on every burst the real path is
 * resolved again and the recursive watch moved when it changed. While the folder cannot be
 * resolved at all (a symlink whose target was deleted), it is looked for every second.
 */
export async function watchStateDir(dir: string, onChange: () => void, options: { quietMs: number; maxWaitMs: number }): Promise<StateDirWatcher> {
  const absolute = resolve(dir);
  /** `realpath:inode` of the watched folder, so a folder deleted and recreated under the same path is watched anew. */
  let watchedKey: string | null = null;
  let watchedReal: string | null = null;
  let inner: FSWatcher | null = null;
  let closed = false;
  let contentChanged = false;
  let rearming: Promise<boolean> = Promise.resolve(false);
  let missingPoll: NodeJS.Timeout | null = null;

  // Hidden entries (.git, .status) and editor leftovers never matter, and our own .status writes must not loop back.
  const ignored = (path: string): boolean => path !== watchedReal && isIgnoredName(basename(path));

  /** Points the recursive watch at where `dir` resolves now; true when that changed. */
  const moveWatch = async (): Promise<boolean> => {
    const real = await realpath(absolute).catch(() => null);
    const info = real === null ? null : await stat(real).catch(() => null);
    const key = real === null || info === null ? null : `${real}:${info.ino}`;
    if (closed || key === watchedKey) return false;
    await inner?.close();
    inner = null;
    watchedKey = key;
    watchedReal = key === null ? null : real;
    if (missingPoll !== null) clearInterval(missingPoll);
    missingPoll = null;
    if (watchedReal === null) {
      missingPoll = setInterval(() => void realpath(absolute).then(() => burst.call(), () => undefined), MISSING_POLL_MS);
      missingPoll.unref();
      return true;
    }
    const next = watch(watchedReal, { ignoreInitial: true, followSymlinks: true, ignored, atomic: true });
    const changed = (): void => {
      contentChanged = true;
      burst.call();
    };
    next.on('all', changed);
    next.on('error', changed);
    inner = next;
    await ready(next);
    return true;
  };
  // One move at a time, so two bursts can never leave two watches behind.
  const rearm = (): Promise<boolean> => (rearming = rearming.then(moveWatch).catch(() => true));

  // Anchor events (the folder's own entry, a symlink swap) matter only when they move the folder.
  const burst = debounce(
    () => {
      void rearm().then((moved) => {
        const changed = moved || contentChanged;
        contentChanged = false;
        if (changed && !closed) onChange();
      });
    },
    options.quietMs,
    options.maxWaitMs,
  );

  await rearm();
  const entries = await anchorEntries(absolute);
  const wanted = new Set([...entries, ...entries.map((entry) => dirname(entry))]);
  const anchors = watch(
    entries.map((entry) => dirname(entry)),
    // Only the anchor entries themselves; a busy parent folder (say /tmp) must not trigger reconciles.
    { ignoreInitial: true, depth: 0, followSymlinks: false, ignored: (path: string) => !wanted.has(path) },
  );
  anchors.on('all', () => burst.call());
  anchors.on('error', () => burst.call());
  await ready(anchors);

  return {
    async close() {
      closed = true;
      burst.cancel();
      await rearming;
      if (missingPoll !== null) clearInterval(missingPoll);
      await Promise.all([anchors.close(), inner?.close()]);
    },
  };
}
