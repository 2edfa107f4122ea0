import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../helpers/temp-dir.js';
import { DEFAULT_LOCK_DIR, loadControllerConfig } from '../../../src/config/controller-config.js';

/** Paths are absolute once: the printed `confirm` command and a `run` started by systemd in `/` must find one folder. */
describe('a relative status_dir', () => {
  const dir = useTempDir('pict-config-');

  it('is the config file’s folder joined with it, whatever folder the command runs in', async () => {
    const file = join(dir(), 'config.json');
    await writeFile(file, JSON.stringify({ status_dir: 'status' }));
    for (const named of [file, relative(process.cwd(), file)]) {
      const loaded = await loadControllerConfig(named);
      expect(loaded).toMatchObject({
        ok: true,
        config: { status_dir: join(dir(), 'status'), lock_dir: DEFAULT_LOCK_DIR },
      });
    }
  });

  it('a relative lock_dir is refused naming the field', async () => {
    const file = join(dir(), 'config.json');
    await writeFile(file, JSON.stringify({ lock_dir: 'lock' }));
    const loaded = await loadControllerConfig(file);
    expect(loaded.ok).toBe(false);
    if (!loaded.ok) expect(loaded.error).toMatch(/\/lock_dir/);
  });
});
