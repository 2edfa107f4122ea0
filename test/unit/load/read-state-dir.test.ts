import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadState } from '../../../src/load/load-state.js';
import { MAX_STATE_FILE_BYTES, readStateDir } from '../../../src/load/read-state-dir.js';
import { CELL, ISSUE_LINE, issueLines, peer } from './helpers.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pict-load-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(file: string, content: string | Buffer): Promise<void> {
  await mkdir(join(dir, file, '..'), { recursive: true });
  await writeFile(join(dir, file), content);
}

const json = (value: unknown) => JSON.stringify(value);

describe('readStateDir', () => {
  it('lists *.json recursively, sorted, skipping hidden entries and editor leftovers', async () => {
    await put('cell.json', json(CELL));
    await put('peers/b.json', json(peer('b', '10.0.0.3')));
    await put('peers/a.json', json(peer('a', '10.0.0.2')));
    for (const junk of [
      '.git/config.json',
      '.status/x.json',
      'peers/.a.json.swp',
      'peers/a.json~',
      'peers/.#a.json',
      'peers/a.json.tmp',
      'x.swp',
      'notes.txt',
      'peers/.hidden.json',
    ]) {
      await put(junk, '{ broken');
    }
    const files = await readStateDir(dir);
    expect(files.map((f) => f.file)).toEqual(['cell.json', 'peers/a.json', 'peers/b.json']);
    expect(files[1]).toEqual({ file: 'peers/a.json', text: json(peer('a', '10.0.0.2')) });
  });

  it('follows a symlinked state dir and symlinked folders (git-sync)', async () => {
    await put('.worktrees/rev1/cell.json', json(CELL));
    await put('.worktrees/rev1/peers/a.json', json(peer('a', '10.0.0.2')));
    await symlink(join(dir, '.worktrees/rev1'), join(dir, 'current'));
    const files = await readStateDir(join(dir, 'current'));
    expect(files.map((f) => f.file)).toEqual(['cell.json', 'peers/a.json']);

    await put('state/cell.json', json(CELL));
    await symlink(join(dir, '.worktrees/rev1/peers'), join(dir, 'state/peers'));
    expect((await readStateDir(join(dir, 'state'))).map((f) => f.file)).toEqual(['cell.json', 'peers/a.json']);
  });

  it('survives a symlink loop, walking each real folder once', async () => {
    await put('cell.json', json(CELL));
    await put('a/p.json', json(peer('p', '10.0.0.2')));
    await symlink(join(dir, 'a'), join(dir, 'a/loop'));
    await symlink(dir, join(dir, 'a/root'));
    const loaded = await loadState(dir);
    expect(issueLines(loaded)).toEqual([]);
    expect(loaded.state?.peers.map((p) => p.name)).toEqual(['p']);
  });

  it("never walks a symlink to a folder that holds it, such as the state folder's parent (chokidar would not watch it)", async () => {
    await put('state/cell.json', json(CELL));
    await put('outside.json', json(peer('x', '10.0.0.9')));
    await symlink('..', join(dir, 'state/up'));
    expect((await readStateDir(join(dir, 'state'))).map((f) => f.file)).toEqual(['cell.json']);
  });

  it('a dangling symlink named like a state file is an unreadable file', async () => {
    await put('cell.json', json(CELL));
    await symlink(join(dir, 'nowhere.json'), join(dir, 'p.json'));
    await symlink(join(dir, 'nowhere'), join(dir, 'folder'));
    expect(await readStateDir(dir)).toEqual([
      { file: 'cell.json', text: json(CELL) },
      { file: 'p.json', error: 'cannot follow symlink: ENOENT' },
    ]);
  });

  it('a missing state dir, or a file in its place, is an issue', async () => {
    const missing = await loadState(join(dir, 'nope'));
    expect(issueLines(missing)).toEqual([
      '.: /: cannot open the state directory: ENOENT',
      '.: /: no valid Cell resource: nothing can be reconciled',
    ]);
    expect(missing.state).toBeNull();
    await put('file', 'x');
    expect(await readStateDir(join(dir, 'file'))).toEqual([
      { file: '.', error: 'the state path is not a directory', directory: true },
    ]);
  });

  it('an empty directory loads to no state', async () => {
    const loaded = await loadState(dir);
    expect(loaded.state).toBeNull();
    expect(issueLines(loaded)).toEqual(['.: /: no valid Cell resource: nothing can be reconciled']);
  });

  it('a huge file is refused without reading it', async () => {
    await put('cell.json', json(CELL));
    await put('big.json', Buffer.alloc(MAX_STATE_FILE_BYTES + 1, 0x20));
    const loaded = await loadState(dir);
    expect(issueLines(loaded)).toEqual(['big.json: /: file is larger than 1048576 bytes']);
    expect(loaded.unresolvedFiles).toEqual(['big.json']);
  });

  it('a binary file is refused as text', async () => {
    await put('cell.json', json(CELL));
    await put('bin.json', Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x0a, 0x7d]));
    await put('nul.json', Buffer.from('{"kind":"Peer","name":"a\u0000","ip":"10.0.0.2"}'));
    const loaded = await loadState(dir);
    const lines = issueLines(loaded);
    for (const line of lines) expect(line).toMatch(ISSUE_LINE);
    expect(lines).toEqual([
      'bin.json: /: not valid UTF-8 text',
      // A raw NUL inside a string is not JSON.
      'nul.json: /: invalid JSON at line 1 column 25: Bad control character in string literal',
    ]);
  });

  it('a BOM written by an editor is ignored', async () => {
    await put('cell.json', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json(CELL))]));
    expect(issueLines(await loadState(dir))).toEqual([]);
  });
});
