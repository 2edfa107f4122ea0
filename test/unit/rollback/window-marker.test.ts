import { chmod, chown, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../helpers/temp-dir.js';
import { MARKER_FILE, readMarker, writeMarker, type WindowMarker } from '../../../src/rollback/window-marker.js';
import { isRequested, REQUEST_FILE } from '../../../src/rollback/window-record.js';

const MARKER: WindowMarker = {
  id: 'a'.repeat(32),
  process: { pid: 4242, start: '123', boot: 'b', pidNamespace: 'pid:[1]' },
  cell: 'netns:pict-test',
  state: 'armed',
  opened: '2026-12-02T07:00:00.000Z',
  closes: null,
  deadline: null,
  snapshot: {
    takenAt: '2026-12-02T07:00:00.000Z',
    peerSubnet: '10.0.0.0/24',
    iptablesSave: '',
    routing: '',
    addresses: '',
    corefile: null,
  },
};

/** The status folder may be a checkout from git: a window file someone else planted there is never trusted. */
describe('confirm-window files', () => {
  const dir = useTempDir('pict-marker-');

  it('are written 0600 and read back', async () => {
    await writeMarker(dir(), MARKER);
    expect((await stat(join(dir(), MARKER_FILE))).mode & 0o777).toBe(0o600);
    expect(await readMarker(dir())).toEqual(MARKER);
  });

  it('a planted marker is ignored: group- or world-writable or readable, another owner, or a symlink', async () => {
    const path = join(dir(), MARKER_FILE);
    await writeFile(path, JSON.stringify(MARKER));
    await chmod(path, 0o644);
    expect(await readMarker(dir())).toBeNull();
    await chmod(path, 0o600);
    expect(await readMarker(dir())).toEqual(MARKER);
    if (process.getuid?.() === 0) {
      await chown(path, 1234, 1234);
      expect(await readMarker(dir())).toBeNull();
    }
    await rm(path);
    const elsewhere = join(dir(), 'elsewhere.json');
    await writeFile(elsewhere, JSON.stringify(MARKER), { mode: 0o600 });
    await symlink(elsewhere, path);
    expect(await readMarker(dir())).toBeNull();
  });

  it('a confirmation counts only from a file of ours, and rewriting a planted marker makes it ours', async () => {
    await writeFile(join(dir(), REQUEST_FILE), `${MARKER.id}\n`, { mode: 0o666 });
    await chmod(join(dir(), REQUEST_FILE), 0o666);
    expect(await isRequested(dir(), MARKER.id)).toBe(false);
    await chmod(join(dir(), REQUEST_FILE), 0o600);
    expect(await isRequested(dir(), MARKER.id)).toBe(true);
    const path = join(dir(), MARKER_FILE);
    await writeFile(path, '{}', { mode: 0o666 });
    if (process.getuid?.() === 0) await chown(path, 1234, 1234);
    await writeMarker(dir(), MARKER);
    const info = await stat(path);
    expect([info.uid, info.mode & 0o777]).toEqual([process.getuid?.(), 0o600]);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(MARKER);
  });
});
