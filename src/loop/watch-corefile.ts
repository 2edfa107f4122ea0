import { basename, dirname, resolve } from 'node:path';
import { watch } from 'chokidar';

export interface CorefileWatcher {
  close(): Promise<void>;
}

/**
 * Calls `onChange` whenever the Corefile is written, replaced or removed. The folder is
 * watched rather than the file, so an atomic replace (a new inode) is seen too; every other
 * entry of the folder, our own temp files included, is ignored.
 */
export async function watchCorefile(path: string, onChange: () => void, onError: (error: unknown) => void): Promise<CorefileWatcher> {
  const file = resolve(path);
  const folder = dirname(file);
  const watcher = watch(folder, { ignoreInitial: true, depth: 0, ignored: (entry: string) => entry !== folder && basename(entry) !== basename(file) });
  watcher.on('all', () => onChange());
  watcher.on('error', onError);
  await new Promise<void>((done) => watcher.once('ready', () => done()));
  return { close: () => watcher.close() };
}
