/**
 * The Corefile's folder is shared with the dns container, so whoever controls that container
 * can plant entries there. The atomic write (real files in a temp dir) must not be redirected by
 * a planted link, must keep the file's owner and mode, must refuse a Corefile that is a link,
 * and must leave no temp file behind, now or after an interrupted run.
 */
import { execFileSync } from 'node:child_process';
import {
  chown,
  lstat,
  lutimes,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STALE_TEMP_MS, sweepStaleTemps } from '../../src/apply/sweep-stale-temps.js';
import { isTempFileName, tempFileName } from '../../src/apply/temp-file-name.js';
import { writeFileAtomic } from '../../src/apply/write-file-atomic.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';

const TEXT = '. {\n    forward . 1.1.1.1\n}\n';

let dir: string;
let corefile: string;
let victim: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pict-corefile-'));
  await mkdir(join(dir, 'dns'));
  corefile = join(dir, 'dns', 'Corefile');
  victim = join(dir, 'victim');
  await writeFile(victim, 'precious\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const entries = async (): Promise<string[]> => (await readdir(join(dir, 'dns'))).sort();

describe('the atomic Corefile write', () => {
  it('3,000 links planted at the temp names the old code used cannot redirect the write', async () => {
    const now = Date.now();
    const planted: string[] = [];
    for (let t = 0; t < 3_000; t++) planted.push(`.Corefile.${process.pid}.${now + t}.tmp`);
    await Promise.all(planted.map((name) => symlink(victim, join(dir, 'dns', name))));
    await writeFileAtomic(corefile, TEXT);
    expect(await readFile(victim, 'utf8')).toBe('precious\n');
    expect(await readFile(corefile, 'utf8')).toBe(TEXT);
    expect(await entries()).toEqual(['Corefile', ...planted].sort());
    for (const name of planted.slice(0, 10)) expect(await readlink(join(dir, 'dns', name))).toBe(victim);
  });

  it('temp names are unpredictable and recognised exactly', () => {
    const names = new Set(Array.from({ length: 1_000 }, () => tempFileName('Corefile')));
    expect(names.size).toBe(1_000);
    for (const name of names) expect(isTempFileName('Corefile', name)).toBe(true);
    for (const other of [
      '.Corefile.123.456.tmp',
      `.Corefile.${'a'.repeat(32)}.tmpx`,
      `.Corefile.${'A'.repeat(32)}.tmp`,
      `.Other.${'a'.repeat(32)}.tmp`,
      'Corefile',
    ])
      expect(isTempFileName('Corefile', other)).toBe(false);
  });

  it('a new Corefile is 0644 even under umask 077', async () => {
    const before = process.umask(0o077);
    try {
      await writeFileAtomic(corefile, TEXT);
    } finally {
      process.umask(before);
    }
    expect((await stat(corefile)).mode & 0o7777).toBe(0o644);
    expect(await entries()).toEqual(['Corefile']);
  });

  it('a rewritten Corefile keeps its mode, never its set-id bits', async () => {
    await writeFile(corefile, 'old\n', { mode: 0o640 });
    await writeFileAtomic(corefile, TEXT);
    expect((await stat(corefile)).mode & 0o7777).toBe(0o640);
    await writeFile(corefile, 'old\n');
    execFileSync('chmod', ['4755', corefile]);
    await writeFileAtomic(corefile, TEXT);
    expect((await stat(corefile)).mode & 0o7777).toBe(0o755);
  });

  it('a Corefile that is a symbolic link is refused with one line naming it; neither link nor target changes', async () => {
    await symlink(victim, corefile);
    await expect(writeFileAtomic(corefile, TEXT)).rejects.toThrow(
      `${corefile}: is a symbolic link; refusing to replace it (make it a regular file)`,
    );
    expect(await readlink(corefile)).toBe(victim);
    expect(await readFile(victim, 'utf8')).toBe('precious\n');
    expect(await entries()).toEqual(['Corefile']);
  });

  it('a dangling link at the Corefile path is refused too, and nothing is created where it points', async () => {
    const missing = join(dir, 'created-by-us');
    await symlink(missing, corefile);
    await expect(writeFileAtomic(corefile, TEXT)).rejects.toThrow(/is a symbolic link/);
    await expect(lstat(missing)).rejects.toThrow(/ENOENT/);
  });

  it('a rename that fails leaves no temp file and the old entry in place', async () => {
    await mkdir(corefile);
    await writeFile(join(corefile, 'inside'), 'x');
    await expect(writeFileAtomic(corefile, TEXT)).rejects.toThrow(/is not a regular file/);
    expect(await entries()).toEqual(['Corefile']);
  });
});

describe('stale temp files', () => {
  const age = async (path: string): Promise<void> => {
    const then = new Date(Date.now() - STALE_TEMP_MS - 60_000);
    await utimes(path, then, then);
  };

  it('a write sweeps our stale temps, and keeps fresh ones, links, foreign names and folders', async () => {
    const stale = tempFileName('Corefile');
    const fresh = tempFileName('Corefile');
    const link = tempFileName('Corefile');
    const folder = tempFileName('Corefile');
    const foreign = '.Corefile.1234.5678.tmp';
    await writeFile(join(dir, 'dns', stale), 'half');
    await age(join(dir, 'dns', stale));
    await writeFile(join(dir, 'dns', fresh), 'in flight');
    await symlink(victim, join(dir, 'dns', link));
    const then = new Date(Date.now() - STALE_TEMP_MS - 60_000);
    await lutimes(join(dir, 'dns', link), then, then);
    await mkdir(join(dir, 'dns', folder));
    await utimes(join(dir, 'dns', folder), then, then);
    await writeFile(join(dir, 'dns', foreign), 'not ours');
    await age(join(dir, 'dns', foreign));
    await writeFileAtomic(corefile, TEXT);
    expect(await entries()).toEqual(['Corefile', fresh, link, folder, foreign].sort());
    expect(await readFile(victim, 'utf8')).toBe('precious\n');
  });
});

describe('as root', () => {
  requirePrerequisites(['root']);

  it('a rewritten Corefile keeps mode 640 and owner 1234:1234', async () => {
    await writeFile(corefile, 'old\n', { mode: 0o640 });
    await chown(corefile, 1234, 1234);
    await writeFileAtomic(corefile, TEXT);
    const info = await stat(corefile);
    expect([info.mode & 0o7777, info.uid, info.gid]).toEqual([0o640, 1234, 1234]);
    expect(await readFile(corefile, 'utf8')).toBe(TEXT);
  });

  it('a temp file owned by someone else is never swept', async () => {
    const theirs = tempFileName('Corefile');
    await writeFile(join(dir, 'dns', theirs), 'theirs');
    await chown(join(dir, 'dns', theirs), 1234, 1234);
    const then = new Date(Date.now() - STALE_TEMP_MS - 60_000);
    await utimes(join(dir, 'dns', theirs), then, then);
    expect(await sweepStaleTemps(join(dir, 'dns'), 'Corefile', Date.now())).toEqual([]);
    expect(await entries()).toEqual([theirs]);
  });

  it('a read-only folder fails the write with EROFS and leaves the old Corefile and no temp file', async () => {
    const folder = join(dir, 'dns');
    await writeFile(corefile, 'old\n');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', folder]);
    try {
      await writeFile(corefile, 'old\n');
      execFileSync('mount', ['-o', 'remount,ro', folder]);
      await expect(writeFileAtomic(corefile, TEXT)).rejects.toThrow(/EROFS/);
      expect(await entries()).toEqual(['Corefile']);
      execFileSync('mount', ['-o', 'remount,rw,size=4k', folder]);
      // Open succeeds, the write does not fit: the temp file is removed on the way out.
      await expect(writeFileAtomic(corefile, 'x'.repeat(64 * 1024))).rejects.toThrow(/ENOSPC/);
      expect(await entries()).toEqual(['Corefile']);
      expect(await readFile(corefile, 'utf8')).toBe('old\n');
    } finally {
      execFileSync('umount', [folder]);
    }
  });
});
