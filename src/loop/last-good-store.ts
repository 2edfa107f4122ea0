import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadedState } from '../load/loaded-state.js';
import { deserializeLoadedState, serializeLoadedState } from '../load/persist-loaded-state.js';
import { writeFileAtomic } from '../apply/write-file-atomic.js';

/** Where the last good state is kept between runs (injected into the reconciler; a file in production). */
export interface LastGoodMemory {
  read(): Promise<LoadedState | null>;
  /** Why the last read found nothing usable (a corrupt file), or null. */
  readonly readError: string | null;
  /** Returns an error message instead of throwing. */
  write(loaded: LoadedState): Promise<string | null>;
}

/**
 * Remembers the last good version of every resource across controller restarts, so a file
 * that is broken at startup still has its previous rules. Kept as one JSON file in the
 * status folder; a missing file means "nothing remembered", a corrupt one too, but its
 * reason is kept in `readError` for the log and /status.
 */
export class LastGoodStore implements LastGoodMemory {
  private readonly file: string;
  /** What was last read or written: the loader keeps an unchanged state as the same object. */
  private last: { readonly state: LoadedState['state']; readonly index: string } | null = null;
  /** Why the last read found a file but could not use it; null when it was usable or absent. */
  readError: string | null = null;

  constructor(private readonly folder: string) {
    this.file = join(folder, 'last-good.json');
  }

  async read(): Promise<LoadedState | null> {
    this.readError = null;
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        this.readError = `${this.file}: cannot be read: ${(error as Error).message}`;
      return null;
    }
    const parsed = deserializeLoadedState(text);
    if (!parsed.ok) {
      this.readError = `${this.file}: ${parsed.error}; nothing remembered from an earlier run`;
      return null;
    }
    this.last = { state: parsed.value.state, index: indexOf(parsed.value) };
    return parsed.value;
  }

  /** Writes only when the state or its files changed (no serialising on a resync); returns an error message instead of throwing. */
  async write(loaded: LoadedState): Promise<string | null> {
    const index = indexOf(loaded);
    if (this.last !== null && this.last.state === loaded.state && this.last.index === index) return null;
    try {
      await mkdir(this.folder, { recursive: true });
      await writeFileAtomic(this.file, serializeLoadedState(loaded));
      this.last = { state: loaded.state, index };
      return null;
    } catch (error) {
      return `${this.file}: cannot remember last good state: ${(error as Error).message}`;
    }
  }
}

/** Which file holds which resources: the part of a LoadedState that can change while its state stays the same object. */
function indexOf(loaded: LoadedState): string {
  return JSON.stringify([[...loaded.fileResources], loaded.fallbackFiles, loaded.unresolvedFiles]);
}
