import { mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listStateDir, relistStateDir, type StateDirListing } from '../../../src/load/read-state-dir.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pict-relist-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(file: string, content: string): Promise<void> {
  await mkdir(join(dir, file, '..'), { recursive: true });
  await writeFile(join(dir, file), content);
}

/** The relisted files must be exactly what a full read sees now. */
async function expectSameAsFull(relisted: StateDirListing): Promise<void> {
  const full = await listStateDir(dir);
  expect(relisted.files).toEqual(full.files);
  expect([...relisted.dirs].sort()).toEqual([...full.dirs].sort());
}

describe('relistStateDir', () => {
  it('reads again only the named files, and drops the ones gone', async () => {
    await put('cell.json', '{"a":1}');
    await put('peers/a.json', '{"p":"a"}');
    await put('peers/b.json', '{"p":"b"}');
    const first = await listStateDir(dir);
    await put('peers/a.json', '{"p":"a2"}');
    await put('peers/c.json', '{"p":"c"}');
    await unlink(join(dir, 'peers/b.json'));
    const next = await relistStateDir(dir, first, ['peers/a.json', 'peers/c.json', 'peers/b.json']);
    expect(next.files.map((f) => f.file)).toEqual(['cell.json', 'peers/a.json', 'peers/c.json']);
    expect(next.files[1]).toEqual({ file: 'peers/a.json', text: '{"p":"a2"}' });
    // An unchanged file keeps its entry object: later stages compare by identity.
    expect(next.files[0]).toBe(first.files[0]);
    await expectSameAsFull(next);
  });

  it('an entry it was not told about is not read (that is the point)', async () => {
    await put('peers/a.json', '{"p":"a"}');
    const first = await listStateDir(dir);
    await put('peers/a.json', '{"p":"changed"}');
    const next = await relistStateDir(dir, first, []);
    expect(next.files).toEqual(first.files);
  });

  it('ignores hidden entries, editor leftovers and other names', async () => {
    await put('peers/a.json', '{"p":"a"}');
    const first = await listStateDir(dir);
    await put('peers/.a.json.swp', 'x');
    await put('peers/a.json~', 'x');
    await put('peers/4913', 'x');
    await put('.status/last-good.json', '{}');
    const next = await relistStateDir(dir, first, [
      'peers/.a.json.swp',
      'peers/a.json~',
      'peers/4913',
      '.status/last-good.json',
      '.status',
    ]);
    expect(next.files).toEqual(first.files);
    await expectSameAsFull(next);
  });

  it('a folder added or removed, or an entry it cannot place, reads the whole tree', async () => {
    await put('peers/a.json', '{"p":"a"}');
    const first = await listStateDir(dir);
    await put('cells/paris.json', '{"c":"paris"}');
    const added = await relistStateDir(dir, first, ['cells']);
    expect(added.files.map((f) => f.file)).toEqual(['cells/paris.json', 'peers/a.json']);
    await expectSameAsFull(added);
    await rm(join(dir, 'peers'), { recursive: true });
    const removed = await relistStateDir(dir, added, ['peers']);
    expect(removed.files.map((f) => f.file)).toEqual(['cells/paris.json']);
    await put('deep/er/x.json', '{}');
    await expectSameAsFull(await relistStateDir(dir, removed, ['deep/er/x.json']));
  });

  it('a state folder swapped for another (git-sync) reads the new one in full', async () => {
    await put('rev1/peers/a.json', '{"p":"a"}');
    await put('rev2/peers/b.json', '{"p":"b"}');
    const current = join(dir, 'current');
    await symlink(join(dir, 'rev1'), current);
    const first = await listStateDir(current);
    await symlink(join(dir, 'rev2'), join(dir, 'next'));
    await rename(join(dir, 'next'), current);
    const next = await relistStateDir(current, first, []);
    expect(next.files.map((f) => f.file)).toEqual(['peers/b.json']);
  });

  it('a file turned into a folder or a dangling link becomes an error entry, like a full read', async () => {
    await put('peers/a.json', '{"p":"a"}');
    await put('peers/b.json', '{"p":"b"}');
    const first = await listStateDir(dir);
    await unlink(join(dir, 'peers/a.json'));
    await mkdir(join(dir, 'peers/a.json'));
    await unlink(join(dir, 'peers/b.json'));
    await symlink(join(dir, 'nowhere'), join(dir, 'peers/b.json'));
    const next = await relistStateDir(dir, first, ['peers/a.json', 'peers/b.json']);
    expect(next.files.map((f) => ('error' in f ? `${f.file}: ${f.error}` : f.file))).toEqual([
      'peers/a.json: is a folder, expected a file',
      'peers/b.json: cannot follow symlink: ENOENT',
    ]);
    await expectSameAsFull(next);
  });

  it('tries again an entry it could not read last time, even when not told about it', async () => {
    await put('peers/a.json', '{"p":"a"}');
    await symlink(join(dir, '.later.json'), join(dir, 'peers/b.json'));
    const first = await listStateDir(dir);
    expect(first.files.map((f) => f.file)).toEqual(['peers/a.json', 'peers/b.json']);
    expect('error' in (first.files[1] ?? {})).toBe(true);
    await put('.later.json', '{"p":"b"}');
    const next = await relistStateDir(dir, first, []);
    expect(next.files.find((f) => f.file === 'peers/b.json')).toEqual({ file: 'peers/b.json', text: '{"p":"b"}' });
    await expectSameAsFull(next);
  });

  it('after any sequence of edits, told the touched paths, it equals a full read', async () => {
    const names = [
      'cell.json',
      'peers/a.json',
      'peers/b.json',
      'peers/sub/c.json',
      'cells/d.json',
      'notes.txt',
      'peers/.e.json',
    ];
    const op = fc.record({
      name: fc.constantFrom(...names),
      action: fc.constantFrom('write', 'delete'),
      text: fc.string({ maxLength: 8 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        await rm(dir, { recursive: true, force: true });
        await mkdir(dir);
        await put('peers/a.json', '{}');
        let listing = await listStateDir(dir);
        for (const { name, action, text } of ops) {
          const touched = new Set<string>([name]);
          if (action === 'write') {
            // A new folder shows up as an event naming it in its parent.
            for (let at = name.indexOf('/'); at > 0; at = name.indexOf('/', at + 1)) touched.add(name.slice(0, at));
            await put(name, text);
          } else {
            await rm(join(dir, name), { force: true });
          }
          listing = await relistStateDir(dir, listing, touched);
          const full = await listStateDir(dir);
          expect(listing.files).toEqual(full.files);
        }
      }),
      { numRuns: 40, seed: 7 },
    );
  });
});
