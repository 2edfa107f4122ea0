import { chmod, chown, mkdir, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../helpers/temp-dir.js';
import { prepareLockFolder } from '../../../src/lock/lock-folder.js';

const root = process.getuid?.() === 0;

/** The lock folder must be one no other local user can have made, or can write. */
describe('prepareLockFolder', () => {
  const base = useTempDir('pict-lockdir-');

  it('creates a missing folder 0700 and accepts it', async () => {
    const folder = join(base(), 'lock');
    expect(await prepareLockFolder(folder)).toBeNull();
    expect((await stat(folder)).mode & 0o777).toBe(0o700);
  });

  it('refuses a relative path, a folder open to others, a symlink, and a file', async () => {
    expect(await prepareLockFolder('run/lock')).toMatch(/must be an absolute path/);
    const open = join(base(), 'open');
    await mkdir(open, { mode: 0o755 });
    await chmod(open, 0o755);
    expect(await prepareLockFolder(open)).toMatch(/open to group or others \(mode 755\)/);
    await symlink(open, join(base(), 'link'));
    expect(await prepareLockFolder(join(base(), 'link'))).toMatch(/a symlink is refused/);
  });

  it('refuses a folder under a folder others can write (not sticky)', async () => {
    await chmod(base(), 0o777);
    expect(await prepareLockFolder(join(base(), 'lock'))).toMatch(/writable by group or others/);
  });

  it.runIf(root)('refuses a folder another user made first in a sticky /tmp', async () => {
    const squatted = join(tmpdir(), `pict-squat-${process.pid}`);
    await mkdir(squatted, { mode: 0o700 });
    try {
      await chown(squatted, 65534, 65534);
      expect(await prepareLockFolder(squatted)).toMatch(/belongs to uid 65534, not to root or to us/);
    } finally {
      await rm(squatted, { recursive: true, force: true });
    }
  });
});
