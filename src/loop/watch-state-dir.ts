import { lstat, realpath } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { debounce } from './debounce.js';
import { isIgnoredName } from '../load/read-state-dir.js';

export interface StateDirWatcher {
  close(): Promise<void>;
}

function ready(watcher: FSWatcher): Promise<void> {
  return new Promise((done) => watcher.once('ready', () => done()));
}

/** The folders whose own entries decide where `dir` points: its parent, and the parent of every symlinked ancestor. */
async function anchorFolders(dir: string): Promise<string[]> {
  const anchors = new Set<string>([dirname(dir)]);
  for (let path = dir; dirname(path) !== path; path = dirname(path)) {
    const info = await lstat(path).catch(() => null);
    if (info?.isSymbolicLink()) anchors.add(dirname(path));
  }
  return [...anchors];
}

/**
 * Watches a state folder and calls `onChange` once per burst of changes.
 *
 * Survives what GitOps and editors do to it: editors' atomic saves (write temp, rename),
 * git-sync's atomic symlink swap (the folder's real path changes; the old tree is deleted),
 * and the folder being deleted and created again. The real path is re-resolved on every
 * burst and the recursive watch moved when it changed.
 */
export async function watchStateDir(dir: string, onChange: () => void, options: { quietMs: number; maxWaitMs: number }): Promise<StateDirWatcher> {
  const absolute = resolve(dir);
  let watchedReal: string | null = null;
  let inner: FSWatcher | null = null;
  let closed = false;

  const ignored = (path: string): boolean => path !== watchedReal && isIgnoredName(basename(path));

  const rearm = async (): Promise<void> => {
    const real = await realpath(absolute).catch(() => null);
    if (closed || real === watchedReal) return;
    await inner?.close();
    inner = null;
    watchedReal = real;
    if (real !== null) {
      inner = watch(real, { ignoreInitial: true, followSymlinks: true, ignored, atomic: true });
      inner.on('all', () => burst.call());
      inner.on('error', () => burst.call());
      await ready(inner);
    }
  };

  const burst = debounce(
    () => {
      void rearm().finally(() => {
        if (!closed) onChange();
      });
    },
    options.quietMs,
    options.maxWaitMs,
  );

  await rearm();
  const anchors = watch(await anchorFolders(absolute), { ignoreInitial: true, depth: 0, followSymlinks: false });
  anchors.on('all', () => burst.call());
  anchors.on('error', () => burst.call());
  await ready(anchors);

  return {
    async close() {
      closed = true;
      burst.cancel();
      await Promise.all([anchors.close(), inner?.close()]);
    },
  };
}
