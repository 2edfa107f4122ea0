/**
 * The state folder watch on real temp folders, real `fs.watch` (inotify), no mocks: what
 * editors, git-sync and people do to a state folder, what `onChange` is told, and what it
 * must not hear about.
 */
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanStateTree } from '../../src/loop/scan-state-tree.js';
import { watchStateDir, type StateChanges, type StateDirWatcher } from '../../src/loop/watch-state-dir.js';
import { waitFor } from '../helpers/wait-for.js';

const QUIET_MS = 100;
/** Long enough that a burst that was going to be reported has been. */
const SETTLE_MS = 600;

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));
const plain = (changes: StateChanges): 'all' | string[] => (changes === 'all' ? 'all' : [...changes].sort());

/** inotify watches this process holds, from /proc/self/fdinfo (one `inotify wd:` line each). */
function inotifyWatches(): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    let target = '';
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    if (target !== 'anon_inode:inotify') continue;
    count += readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('inotify wd:')).length;
  }
  return count;
}

let work = '';
let watcher: StateDirWatcher | null = null;
let calls: StateChanges[] = [];
let onCall: ((changes: StateChanges) => void) | null = null;

async function start(dir: string): Promise<void> {
  watcher = await watchStateDir(
    dir,
    (changes) => {
      calls.push(changes);
      onCall?.(changes);
    },
    { quietMs: QUIET_MS, maxWaitMs: 2_000 },
  );
}

/** Runs `action`, waits for the first report and for things to settle; every report since, as plain data. */
async function reportsOf(action: () => Promise<unknown>): Promise<('all' | string[])[]> {
  const since = calls.length;
  await action();
  await waitFor('a change report', () => calls.length > since, 5_000);
  await sleep(SETTLE_MS);
  return calls.slice(since).map(plain);
}

async function silentAfter(action: () => Promise<unknown>): Promise<void> {
  const since = calls.length;
  await action();
  await sleep(SETTLE_MS);
  expect(calls.slice(since).map(plain)).toEqual([]);
}

/** A state folder with a cell file and a peers/ subfolder. */
async function stateFolder(path: string): Promise<string> {
  await mkdir(join(path, 'peers'), { recursive: true });
  await writeFile(join(path, 'cell.json'), '{}');
  await writeFile(join(path, 'peers', 'alice.json'), '{}');
  await writeFile(join(path, 'peers', 'bob.json'), '{}');
  return path;
}

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'pict-watch-'));
  calls = [];
  onCall = null;
});
afterEach(async () => {
  await watcher?.close();
  watcher = null;
  await rm(work, { recursive: true, force: true });
});

describe('watchStateDir on real folders', () => {
  it('reports a file edited in place, once per burst, by its state path', async () => {
    const state = await stateFolder(join(work, 'state'));
    await start(state);
    expect(await reportsOf(() => writeFile(join(state, 'peers', 'bob.json'), '{"a":1}'))).toEqual([['peers/bob.json']]);
    expect(await reportsOf(() => writeFile(join(state, 'cell.json'), '{"a":1}'))).toEqual([['cell.json']]);
    // Several files in one burst: one report naming them all.
    const burst = async (): Promise<void> => {
      for (const name of ['alice', 'bob', 'carol']) await writeFile(join(state, 'peers', `${name}.json`), '{"b":2}');
    };
    expect(await reportsOf(burst)).toEqual([['peers/alice.json', 'peers/bob.json', 'peers/carol.json']]);
  });

  it("reports an editor's atomic save (temp file, rename over) as the saved file", async () => {
    const state = await stateFolder(join(work, 'state'));
    await start(state);
    const save = async (): Promise<void> => {
      await writeFile(join(state, 'peers', 'bob.json.tmp'), '{"saved":true}');
      await rename(join(state, 'peers', 'bob.json.tmp'), join(state, 'peers', 'bob.json'));
    };
    expect(await reportsOf(save)).toEqual([['peers/bob.json']]);
    expect(await reportsOf(() => rm(join(state, 'peers', 'alice.json')))).toEqual([['peers/alice.json']]);
  });

  it('watches a new subfolder before reporting it, so what is written into it right after is seen', async () => {
    const state = await stateFolder(join(work, 'state'));
    await start(state);
    const cells = join(state, 'cells');
    // Written from inside onChange: only seen if the new folder was watched before the report.
    onCall = (changes) => {
      if (changes === 'all') writeFileSync(join(cells, 'late.json'), '{}');
      onCall = null;
    };
    const reports = await reportsOf(async () => {
      await mkdir(cells);
      await writeFile(join(cells, 'office.json'), '{}');
      await writeFile(join(cells, 'home.json'), '{}');
    });
    expect(reports).toEqual(['all', ['cells/late.json']]);
    expect(await reportsOf(() => writeFile(join(cells, 'home.json'), '{"x":1}'))).toEqual([['cells/home.json']]);
    // Nested folders come with it.
    expect(await reportsOf(() => mkdir(join(cells, 'a', 'b'), { recursive: true }))).toEqual(['all']);
    expect(await reportsOf(() => writeFile(join(cells, 'a', 'b', 'deep.json'), '{}'))).toEqual([
      ['cells/a/b/deep.json'],
    ]);
  });

  it('reports a deleted subfolder as a change to everything, and stops watching it', async () => {
    const state = await stateFolder(join(work, 'state'));
    await start(state);
    const before = inotifyWatches();
    expect(await reportsOf(() => rm(join(state, 'peers'), { recursive: true }))).toEqual(['all']);
    expect(inotifyWatches()).toBe(before - 1);
    // Recreated under the same name: a new folder, watched again.
    expect(await reportsOf(() => mkdir(join(state, 'peers')))).toEqual(['all']);
    expect(await reportsOf(() => writeFile(join(state, 'peers', 'bob.json'), '{}'))).toEqual([['peers/bob.json']]);
  });

  it('watches a subfolder deleted and recreated at once, even with the same inode number (ext4 reuses them)', async () => {
    const state = await stateFolder(join(work, 'state'));
    await start(state);
    const peers = join(state, 'peers');
    const inodeBefore = (await stat(peers)).ino;
    const reports = await reportsOf(async () => {
      await rm(peers, { recursive: true });
      await mkdir(peers);
      await writeFile(join(peers, 'carol.json'), '{}');
    });
    console.log(`recreated peers/: inode ${(await stat(peers)).ino === inodeBefore ? 'reused' : 'new'}`);
    expect(reports).toContain('all');
    expect(await reportsOf(() => writeFile(join(peers, 'dave.json'), '{}'))).toEqual([['peers/dave.json']]);
  });

  it('recheck (on every resync) finds a swap no event described: a symlinked subfolder moved outside the tree', async () => {
    await stateFolder(join(work, 'ext', 'rev-1'));
    const rev2 = await stateFolder(join(work, 'ext', 'rev-2'));
    await symlink('rev-1', join(work, 'ext', 'current'));
    const state = join(work, 'state');
    await mkdir(state);
    await writeFile(join(state, 'cell.json'), '{}');
    await symlink(join(work, 'ext', 'current', 'peers'), join(state, 'peers'));
    await start(state);
    await silentAfter(async () => watcher?.recheck());
    // Outside every watched folder: no event says the subfolder now resolves elsewhere.
    await silentAfter(async () => {
      await symlink('rev-2', join(work, 'ext', 'tmp'));
      await rename(join(work, 'ext', 'tmp'), join(work, 'ext', 'current'));
    });
    expect(await reportsOf(async () => watcher?.recheck())).toEqual(['all']);
    expect(await reportsOf(() => writeFile(join(rev2, 'peers', 'bob.json'), '{"rev":2}'))).toEqual([
      ['peers/bob.json'],
    ]);
  });

  it('follows a git-sync style swap: ln -s rev-2 tmp && mv -T tmp current', async () => {
    const rev1 = await stateFolder(join(work, 'rev-1'));
    const rev2 = await stateFolder(join(work, 'rev-2'));
    const current = join(work, 'current');
    await symlink('rev-1', current);
    await start(current);
    expect(await reportsOf(() => writeFile(join(rev1, 'peers', 'bob.json'), '{"rev":1}'))).toEqual([
      ['peers/bob.json'],
    ]);
    const swap = async (): Promise<void> => {
      await symlink('rev-2', join(work, 'tmp'));
      await rename(join(work, 'tmp'), current);
    };
    expect(await reportsOf(swap)).toEqual(['all']);
    // The new revision is watched, the old one no more (git-sync deletes it later).
    expect(await reportsOf(() => writeFile(join(rev2, 'peers', 'bob.json'), '{"rev":2}'))).toEqual([
      ['peers/bob.json'],
    ]);
    await silentAfter(() => writeFile(join(rev1, 'peers', 'bob.json'), '{"rev":"old"}'));
    await silentAfter(() => rm(rev1, { recursive: true }));
  });

  it('follows a swap of a symlinked ancestor of the folder', async () => {
    await stateFolder(join(work, 'rev-1', 'state'));
    const rev2 = await stateFolder(join(work, 'rev-2', 'state'));
    await symlink('rev-1', join(work, 'current'));
    await start(join(work, 'current', 'state'));
    await symlink('rev-2', join(work, 'tmp'));
    expect(await reportsOf(() => rename(join(work, 'tmp'), join(work, 'current')))).toEqual(['all']);
    expect(await reportsOf(() => writeFile(join(rev2, 'cell.json'), '{"rev":2}'))).toEqual([['cell.json']]);
  });

  it('follows the folder deleted and created again under the same path', async () => {
    const state = await stateFolder(join(work, 'state'));
    await start(state);
    const gone = await reportsOf(() => rm(state, { recursive: true }));
    expect(gone.at(-1)).toBe('all');
    expect(await reportsOf(() => stateFolder(state))).toContain('all');
    expect(await reportsOf(() => writeFile(join(state, 'peers', 'bob.json'), '{"back":true}'))).toEqual([
      ['peers/bob.json'],
    ]);
  });

  it('looks for the target of a dangling symlink every second until it exists', async () => {
    const current = join(work, 'current');
    await symlink(join(work, 'rev-1'), current);
    await start(current);
    // rev-1 is not an entry that decides where `current` points: only the poll finds it.
    expect(await reportsOf(() => stateFolder(join(work, 'rev-1')))).toEqual(['all']);
    expect(await reportsOf(() => writeFile(join(work, 'rev-1', 'cell.json'), '{"x":1}'))).toEqual([['cell.json']]);
  });

  it('ignores hidden entries and editor leftovers: .status writes, swap files, backups', async () => {
    const state = await stateFolder(join(work, 'state'));
    await start(state);
    await silentAfter(async () => {
      await mkdir(join(state, '.status'));
      await writeFile(join(state, '.status', 'last-good.json'), '{}');
      await writeFile(join(state, '.status', 'last-good.json.tmp'), '{}');
      await rename(join(state, '.status', 'last-good.json.tmp'), join(state, '.status', 'last-good.json'));
      await writeFile(join(state, 'peers', '.bob.json.swp'), 'x');
      await writeFile(join(state, 'peers', 'bob.json.swp'), 'x');
      await writeFile(join(state, 'peers', 'bob.json~'), 'x');
      await rm(join(state, 'peers', '.bob.json.swp'));
    });
  });

  it('is not woken by a busy parent folder', async () => {
    const state = await stateFolder(join(work, 'state'));
    await start(state);
    await silentAfter(async () => {
      for (let i = 0; i < 20; i++) await writeFile(join(work, `noise-${i}.json`), '{}');
      await mkdir(join(work, 'other'));
      await symlink('other', join(work, 'link'));
      await rename(join(work, 'link'), join(work, 'link2'));
      await writeFile(join(work, 'state.tmp'), 'x');
    });
  });

  it('follows symlinked subfolders and state-file symlinks, naming the symlinked paths', async () => {
    const state = await stateFolder(join(work, 'state'));
    const shared = await stateFolder(join(work, 'shared'));
    await symlink(shared, join(state, 'linked'));
    await symlink(join(shared, 'cell.json'), join(state, 'peers', 'carol.json'));
    await start(state);
    expect(await reportsOf(() => writeFile(join(shared, 'peers', 'bob.json'), '{}'))).toEqual([
      ['linked/peers/bob.json'],
    ]);
    expect(await reportsOf(() => writeFile(join(shared, 'cell.json'), '{}'))).toEqual([
      ['linked/cell.json', 'peers/carol.json'],
    ]);
  });

  it('survives symlink loops, and reports everything for a folder reached through two paths', async () => {
    const state = await stateFolder(join(work, 'state'));
    await symlink('..', join(state, 'peers', 'up'));
    await symlink(join(state, 'peers'), join(state, 'peers', 'again'));
    await symlink(join(state, 'peers', 'loop.json'), join(state, 'peers', 'loop.json'));
    await start(state);
    expect(await reportsOf(() => writeFile(join(state, 'peers', 'bob.json'), '{}'))).toEqual(['all']);
  });

  it('holds one inotify watch per folder, not per file', async () => {
    const state = await stateFolder(join(work, 'state'));
    for (let i = 0; i < 200; i++) await writeFile(join(state, 'peers', `p${i}.json`), '{}');
    const before = inotifyWatches();
    await start(state);
    // state/, state/peers/ and the parent that holds the `state` entry.
    expect(inotifyWatches() - before).toBe(3);
    await watcher?.close();
    watcher = null;
    expect(inotifyWatches()).toBe(before);
  });

  it('reports nothing after close', async () => {
    const state = await stateFolder(join(work, 'state'));
    await start(state);
    await watcher?.close();
    watcher = null;
    await silentAfter(() => writeFile(join(state, 'cell.json'), '{"closed":true}'));
  });
});

describe('scanStateTree', () => {
  it('walks like the loader: hidden folders and *.json folders skipped, symlinked folders followed once', async () => {
    const state = await stateFolder(join(work, 'state'));
    await mkdir(join(state, '.git', 'objects'), { recursive: true });
    await mkdir(join(state, 'odd.json'));
    await symlink('..', join(state, 'peers', 'up'));
    const tree = await scanStateTree(state);
    expect(tree.folders.map((f) => f.rels)).toEqual([['', 'peers/up'], ['peers']]);
    expect(await scanStateTree(join(work, 'missing'))).toEqual({ root: null, folders: [], links: [] });
  });
});
