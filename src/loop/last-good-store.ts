import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadedState } from '../load/loaded-state.js';
import { deserializeLoadedState, serializeLoadedState } from '../load/persist-loaded-state.js';
import { writeFileAtomic } from '../apply/write-file-atomic.js';

/** Where the last good state is kept between runs (injected into the reconciler; a file in production). */
export interface LastGoodMemory {
  read(): Promise<LoadedState | null>;
  /** Returns an error message instead of throwing. */
  write(loaded: LoadedState): Promise<string | null>;
}

/**
 * Remembers the last good version of every resource across controller restarts, so a file
 * that is broken at startup still has its previous rules. Kept as one JSON file in the
 * status folder; a missing or unreadable file simply means "nothing remembered".
 */
export class LastGoodStore implements LastGoodMemory {
  private readonly file: string;
  /** What was last read or written: the loader keeps an unchanged state as the same object. */
  private last: { readonly state: LoadedState['state']; readonly index: string } | null = null;

  constructor(private readonly folder: string) {
    this.file = join(folder, 'last-good.json');
  }

  async read(): Promise<LoadedState | null> {
    try {
      const text = await readFile(this.file, 'utf8');
      const parsed = deserializeLoadedState(text);
      if (!parsed.ok) return null;
      this.last = { state: parsed.value.state, index: indexOf(parsed.value) };
      return parsed.value;
    } catch {
      return null;
    }
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
