import { listStateDir, relistStateDir, type StateDirListing } from '../load/read-state-dir.js';
import type { StateChanges } from './classify-watch-event.js';

/**
 * The state files as last read, as in an informer: a read takes again only the files the
 * watcher named since the last one, and every file at first, after `invalidate()` (resync,
 * an outside trigger) and whenever the watcher cannot say which changed.
 */
export class StateFileCache {
  private listing: StateDirListing | null = null;
  /** State files changed since the last read, or 'all'. */
  private pending: Set<string> | 'all' = 'all';

  constructor(private readonly dir: string) {}

  /** Records what the watcher reported. */
  note(changes: StateChanges): void {
    if (changes === 'all' || this.pending === 'all') this.pending = 'all';
    else for (const path of changes) this.pending.add(path);
  }

  /** The next read takes every file again. */
  invalidate(): void {
    this.pending = 'all';
  }

  /** The state files now; a read that fails leaves everything to be read again. */
  async read(): Promise<StateDirListing> {
    const changes = this.pending;
    this.pending = new Set();
    try {
      this.listing =
        changes === 'all' || this.listing === null
          ? await listStateDir(this.dir)
          : await relistStateDir(this.dir, this.listing, changes);
      return this.listing;
    } catch (error) {
      this.pending = 'all';
      throw error;
    }
  }
}
