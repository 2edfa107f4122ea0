import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';

export interface CorefileWatcher {
  close(): Promise<void>;
}

/** While the folder is missing or was replaced, how often to try watching it again. */
const RETRY_MS = 1_000;

async function inodeOf(folder: string): Promise<number | null> {
  return stat(folder).then(
    (info) => info.ino,
    () => null,
  );
}

/**
 * Calls `onChange` whenever the Corefile is written, replaced or removed. The folder is
 * watched rather than the file (one `fs.watch`), so an atomic replace (a new inode) is seen
 * too; every other entry of the folder, our own temp files included, is ignored. When the
 * folder itself goes away or is replaced (a remounted volume), the watch is opened again as
 * soon as it can be, and `onChange` called, since the file may have changed meanwhile.
 */
export async function watchCorefile(
  path: string,
  onChange: () => void,
  onError: (error: unknown) => void,
): Promise<CorefileWatcher> {
  const file = resolve(path);
  const folder = dirname(file);
  const name = basename(file);
  let watcher: FSWatcher | null = null;
  let watchedInode: number | null = null;
  let retry: NodeJS.Timeout | null = null;
  let closed = false;

  const drop = (): void => {
    watcher?.close();
    watcher = null;
  };

  const arm = async (): Promise<boolean> => {
    const inode = await inodeOf(folder);
    if (closed || inode === null) return false;
    try {
      const next = watch(folder, (event, entry) => {
        if (entry === name || entry === null) onChange();
        // The folder itself deleted or moved: the watch is dead even if a folder with the same inode
        // number comes back (ext4 reuses them). Any other entry: only a replaced folder matters.
        else if (event === 'rename' && entry === basename(folder)) lost();
        else void inodeOf(folder).then((now) => now !== watchedInode && lost());
      });
      next.on('error', (error) => {
        onError(error);
        lost();
      });
      drop();
      watcher = next;
      watchedInode = inode;
      return true;
    } catch (error) {
      onError(error);
      return false;
    }
  };

  const lost = (): void => {
    if (closed || retry !== null) return;
    drop();
    retry = setInterval(() => {
      void arm().then((armed) => {
        if (!armed || retry === null) return;
        clearInterval(retry);
        retry = null;
        onChange();
      });
    }, RETRY_MS);
    retry.unref();
  };

  if (!(await arm())) lost();
  return {
    close: () => {
      closed = true;
      if (retry !== null) clearInterval(retry);
      drop();
      return Promise.resolve();
    },
  };
}
