import { watch, type FSWatcher } from 'node:fs';
import { basename } from 'node:path';
import { folderKey } from '../load/walk-state-tree.js';
import { RESCAN, type WatchEventOutcome } from './classify-watch-event.js';
import type { AnchorEntry } from './plan-state-watches.js';

interface AnchorWatch {
  readonly path: string;
  names: ReadonlySet<string>;
  watcher: FSWatcher | null;
}

/**
 * The entries that decide where the state folder points: its own entry in its parent, and each
 * symlinked ancestor in its own parent (git-sync publishes a revision by renaming a new symlink
 * over the old one). chokidar, started on the folder's real path, cannot see them move. They sit
 * in folders outside the tree where only those names count: one plain `fs.watch` on each, since
 * chokidar re-reads a whole folder (readdir, and an lstat of every entry) on every event in it,
 * which a busy parent like /tmp would cost on every write there, for one name.
 */
export class AnchorWatches {
  private readonly watches = new Map<string, AnchorWatch>();

  constructor(private readonly record: (outcome: WatchEventOutcome) => void) {}

  /** Moves the watches to `anchors`; false when one cannot be opened (gone meanwhile, out of inotify watches). */
  sync(anchors: readonly AnchorEntry[]): boolean {
    const wanted = new Map<string, { path: string; names: Set<string> }>();
    for (const anchor of anchors) {
      const key = folderKey(anchor.folder);
      const entry = wanted.get(key) ?? { path: anchor.folder.path, names: new Set<string>() };
      entry.names.add(anchor.name);
      wanted.set(key, entry);
    }
    for (const [key, anchor] of this.watches) {
      if (!wanted.has(key)) this.drop(key, anchor);
    }
    let opened = true;
    for (const [key, { path, names }] of wanted) {
      const anchor = this.watches.get(key) ?? { path, names, watcher: null };
      anchor.names = names;
      this.watches.set(key, anchor);
      anchor.watcher ??= this.open(key, anchor);
      opened &&= anchor.watcher !== null;
    }
    return opened;
  }

  close(): void {
    for (const [key, anchor] of this.watches) this.drop(key, anchor);
  }

  private open(key: string, anchor: AnchorWatch): FSWatcher | null {
    try {
      const watcher = watch(anchor.path, (event, name) => {
        // The parent itself deleted or moved: its watch is dead; the rescan opens a new one.
        if (name === null || (event === 'rename' && name === basename(anchor.path))) this.dropDead(key, watcher);
        else if (event === 'rename' && anchor.names.has(name)) this.record(RESCAN);
      });
      watcher.on('error', () => this.dropDead(key, watcher));
      return watcher;
    } catch {
      return null;
    }
  }

  private dropDead(key: string, watcher: FSWatcher): void {
    const anchor = this.watches.get(key);
    if (anchor?.watcher === watcher) this.drop(key, anchor);
    this.record(RESCAN);
  }

  private drop(key: string, anchor: AnchorWatch): void {
    anchor.watcher?.close();
    this.watches.delete(key);
  }
}
