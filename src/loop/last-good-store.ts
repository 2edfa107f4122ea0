import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadedState } from '../load/loaded-state.js';
import { deserializeLoadedState, serializeLoadedState } from '../load/persist-loaded-state.js';
import { writeFileAtomic } from '../apply/write-file-atomic.js';

/**
 * Remembers the last good version of every resource across controller restarts, so a file
 * that is broken at startup still has its previous rules. Kept as one JSON file in the
 * status folder; a missing or unreadable file simply means "nothing remembered".
 */
export class LastGoodStore {
  private readonly file: string;
  private lastWritten: string | null = null;

  constructor(private readonly folder: string) {
    this.file = join(folder, 'last-good.json');
  }

  async read(): Promise<LoadedState | null> {
    try {
      const text = await readFile(this.file, 'utf8');
      const parsed = deserializeLoadedState(text);
      if (!parsed.ok) return null;
      this.lastWritten = text;
      return parsed.value;
    } catch {
      return null;
    }
  }

  /** Writes only when the content changed; returns an error message instead of throwing. */
  async write(loaded: LoadedState): Promise<string | null> {
    const text = serializeLoadedState(loaded);
    if (text === this.lastWritten) return null;
    try {
      await mkdir(this.folder, { recursive: true });
      await writeFileAtomic(this.file, text);
      this.lastWritten = text;
      return null;
    } catch (error) {
      return `${this.file}: cannot remember last good state: ${(error as Error).message}`;
    }
  }
}
