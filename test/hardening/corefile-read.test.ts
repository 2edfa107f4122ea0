import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCorefile } from '../../src/observe/observe-cell.js';
import { MAX_COREFILE_BYTES } from '../../src/observe/read-corefile-safely.js';

/** What the dns container (it shares the Corefile's folder) can plant at the path, read by the controller as root. */
describe('reading a Corefile the dns container may have replaced', () => {
  let dir = '';
  let path = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pict-corefile-read-'));
    path = join(dir, 'Corefile');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a regular file, and no file as null', async () => {
    expect(await readCorefile(path)).toEqual({ ok: true, value: null });
    await writeFile(path, '. {\n  forward . 1.1.1.1\n}\n');
    expect(await readCorefile(path)).toEqual({ ok: true, value: '. {\n  forward . 1.1.1.1\n}\n' });
  });

  it('refuses a symlink (to a secret) instead of reading through it', async () => {
    const secret = join(dir, 'secret');
    await writeFile(secret, 'root:$6$hash');
    await symlink(secret, path);
    const read = await readCorefile(path);
    expect(read).toEqual({
      ok: false,
      error: `${path}: is a symbolic link; refusing to read through it (make it a regular file)`,
    });
  });

  it('a FIFO neither hangs the read nor passes for a Corefile', async () => {
    execFileSync('mkfifo', [path]);
    const read = await readCorefile(path);
    expect(read).toEqual({ ok: false, error: `${path}: is not a regular file` });
  });

  it('a file past the size bound is refused, not read into memory', async () => {
    await writeFile(path, Buffer.alloc(MAX_COREFILE_BYTES + 1, 0x61));
    expect(await readCorefile(path)).toEqual({
      ok: false,
      error: `${path}: is larger than ${MAX_COREFILE_BYTES} bytes`,
    });
  });
});
