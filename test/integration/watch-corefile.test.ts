import { watch } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchCorefile, type CorefileWatcher } from '../../src/loop/watch-corefile.js';
import { waitFor } from '../helpers/wait-for.js';

/** Real folders and a real fs.watch: what the controller sees when someone touches the Corefile. */
describe('watchCorefile', () => {
  let dir: string;
  let folder: string;
  let watcher: CorefileWatcher | null = null;
  let changes = 0;
  const errors: unknown[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pict-corefile-'));
    folder = join(dir, 'coredns');
    await mkdir(folder);
    changes = 0;
    errors.length = 0;
  });
  afterEach(async () => {
    await watcher?.close();
    watcher = null;
    await rm(dir, { recursive: true, force: true });
  });

  const start = async (): Promise<void> => {
    watcher = await watchCorefile(
      join(folder, 'Corefile'),
      () => changes++,
      (error) => errors.push(error),
    );
  };
  const settle = (): Promise<void> => new Promise((done) => setTimeout(done, 150));

  /**
   * Writes `name` into the folder and resolves once a watch of our own has seen it: the events
   * of every earlier write have then reached the watcher under test too (one inotify queue, in order).
   */
  const barrier = (name: string): Promise<void> =>
    new Promise((done) => {
      const own = watch(folder, (_event, entry) => {
        if (entry !== name) return;
        own.close();
        done();
      });
      void writeFile(join(folder, name), 'x');
    });

  it('sees the Corefile written and atomically replaced, and nothing else in its folder', async () => {
    await start();
    await writeFile(join(folder, 'other.conf'), 'x');
    await writeFile(join(folder, '.Corefile.tmp-1'), 'x');
    await barrier('barrier-1');
    expect(changes).toBe(0);
    await writeFile(join(folder, 'Corefile'), '. { whoami }\n');
    await barrier('barrier-2');
    expect(changes).toBeGreaterThan(0);
    const afterWrite = changes;
    // The temp file of a replace is not the Corefile: only the rename over it is a change.
    await writeFile(join(folder, '.Corefile.tmp-2'), '. { log }\n');
    await barrier('barrier-3');
    expect(changes).toBe(afterWrite);
    await rename(join(folder, '.Corefile.tmp-2'), join(folder, 'Corefile'));
    await waitFor('a change for the replace', () => changes > afterWrite, 2_000);
  });

  it('watches a folder that appears later, or comes back after being deleted', async () => {
    await rm(folder, { recursive: true });
    await start();
    await mkdir(folder);
    // Watching again counts as a change: the file may have been written while nobody watched.
    await waitFor('the new folder watched', () => changes > 0, 3_000);
    const before = changes;
    await writeFile(join(folder, 'Corefile'), '. { whoami }\n');
    await waitFor('a change in the new folder', () => changes > before, 2_000);

    await rm(folder, { recursive: true });
    await settle();
    await mkdir(folder);
    const recreated = changes;
    await waitFor('the recreated folder watched', () => changes > recreated, 3_000);
    const rewatched = changes;
    await writeFile(join(folder, 'Corefile'), '. { log }\n');
    await waitFor('a change in the recreated folder', () => changes > rewatched, 2_000);
  });
});
