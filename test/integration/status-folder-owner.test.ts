/**
 * The status folder of the systemd unit (StateDirectory) is the service account's: window files
 * root's `apply --confirm-within` writes there are handed to that account, so the service can
 * read and settle a window root left open, and root reads the service's. A file of that account
 * anywhere else is still not one of ours.
 */
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRequested, writeRequest } from '../../src/rollback/window-record.js';
import { builtEntry } from '../helpers/build-dist.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';

const ready = requirePrerequisites(['root']);
const execFileAsync = promisify(execFile);
const NOBODY = { uid: 65534, gid: 65534 };

describe("window files in a service account's status folder", () => {
  let parent = '';
  beforeAll(async () => {
    if (!ready.ok) return;
    // Like /var/lib: root's, not sticky.
    parent = await mkdtemp('/run/pict-statusowner-');
    await chmod(parent, 0o755);
  });
  afterAll(async () => {
    if (parent !== '') await rm(parent, { recursive: true, force: true });
  });

  it("root's window file is the service account's, and each reads the other's", async () => {
    const folder = join(parent, 'status');
    await mkdir(folder, { mode: 0o700 });
    await chown(folder, NOBODY.uid, NOBODY.gid);
    await writeRequest(folder, 'window-of-root');
    expect((await stat(join(folder, 'confirm-window.confirmed'))).uid).toBe(NOBODY.uid);
    expect(await isRequested(folder, 'window-of-root')).toBe(true);
    const record = builtEntry('rollback/window-record.js');
    const script = `const { isRequested, writeRequest } = await import(${JSON.stringify(record)});
const seen = await isRequested(${JSON.stringify(folder)}, 'window-of-root');
await writeRequest(${JSON.stringify(folder)}, 'window-of-service');
console.log(seen);`;
    const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], NOBODY);
    expect(stdout).toBe('true\n');
    expect(await isRequested(folder, 'window-of-service')).toBe(true);
  });

  it("that account's file in a folder of root's is not ours", async () => {
    const folder = join(parent, 'roots');
    await mkdir(folder, { mode: 0o700 });
    const planted = join(folder, 'confirm-window.confirmed');
    await writeFile(planted, 'planted\n', { mode: 0o600 });
    await chown(planted, NOBODY.uid, NOBODY.gid);
    expect(await isRequested(folder, 'planted')).toBe(false);
  });
});
