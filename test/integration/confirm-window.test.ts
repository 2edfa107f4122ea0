import { execFile } from 'node:child_process';
import { access, mkdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { reconcileCell } from '../../src/pass/reconcile-cell.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import { confirmOpenWindow } from '../../src/rollback/confirm-open-window.js';
import { settleStaleWindow } from '../../src/rollback/settle-stale-window.js';
import { MARKER_FILE } from '../../src/rollback/window-marker.js';
import { REQUEST_FILE } from '../../src/rollback/window-record.js';
import { cleanupNamespaces } from '../../src/testbed/netns.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { createTestbed, liveCell, loadValidState, type TestbedFixture } from '../helpers/testbed.js';
import { openWindowChild, type AroundWindow } from '../helpers/window-child.js';

const ready = requirePrerequisites(['root', 'iptables', 'ip']);
const execFileAsync = promisify(execFile);

describe('a confirm window in its own process, on a namespace cell', () => {
  let state: DesiredState;
  let changed: DesiredState;
  let bed: TestbedFixture;

  beforeAll(async () => {
    if (!ready.ok) return;
    state = await loadValidState('state');
    changed = {
      ...state,
      peers: state.peers.map((p) =>
        p.name === 'bob' ? { ...p, internet_access: !p.internet_access, service_access: [] } : p,
      ),
    };
    bed = await createTestbed(state);
  }, 120_000);
  afterAll(async () => {
    await bed?.dispose();
    await cleanupNamespaces();
  });

  const live = (): Promise<Record<string, string | null>> => liveCell(bed);
  const openWindow = (seconds: number, stdin: 'ignore' | 'pipe' = 'ignore', around: AroundWindow = {}) =>
    openWindowChild(bed, { state, changed }, seconds, stdin, around);

  let before: Record<string, string | null>;
  beforeEach(async () => {
    if (!ready.ok) return;
    expect((await reconcileCell(state, bed.targets, bed.layout)).converged).toBe(true);
    before = await live();
  });

  it('rolls back at once on SIGTERM, byte for byte', async () => {
    const w = await openWindow(60);
    await w.opened;
    expect(await live()).not.toEqual(before);
    w.child.kill('SIGTERM');
    const { code, stdout } = await w.exited;
    expect(JSON.parse(stdout)).toEqual({ end: 'terminated', restored: true, errors: [] });
    expect(code).toBe(0);
    expect(await live()).toEqual(before);
    await expect(access(join(bed.config.status_dir ?? '', MARKER_FILE))).rejects.toThrow();
  });

  it('keeps waiting after SIGHUP and standard input at end of file, then rolls back when the window closes', async () => {
    const w = await openWindow(2, 'pipe');
    await w.opened;
    w.child.stdin?.end('y\n');
    w.child.kill('SIGHUP');
    const { code, stdout, stderr } = await w.exited;
    expect(stderr).toContain('SIGHUP');
    expect(JSON.parse(stdout)).toEqual({ end: 'expired', restored: true, errors: [] });
    expect(code).toBe(0);
    expect(await live()).toEqual(before);
  });

  it('keeps the new state when confirm answers within the window', async () => {
    const w = await openWindow(60);
    await w.opened;
    const during = await live();
    expect(await confirmOpenWindow(bed.config.status_dir ?? '', bed.targets.wireguard.locator)).toMatchObject({
      ok: true,
    });
    const { code, stdout } = await w.exited;
    expect(JSON.parse(stdout)).toMatchObject({ end: 'confirmed' });
    expect(code).toBe(0);
    expect(await live()).toEqual(during);
    expect(await confirmOpenWindow(bed.config.status_dir ?? '', bed.targets.wireguard.locator)).toMatchObject({
      ok: false,
    });
  });

  it('after SIGKILL the window stays open on disk, and the next settle rolls it back', async () => {
    const w = await openWindow(60);
    await w.opened;
    w.child.kill('SIGKILL');
    await w.exited;
    expect(await confirmOpenWindow(bed.config.status_dir ?? '', bed.targets.wireguard.locator)).toMatchObject({
      ok: false,
      message: expect.stringContaining('process is gone'),
    });
    const settled = await settleStaleWindow(bed.config.status_dir ?? '', bed.targets, bed.layout);
    expect(settled).toMatchObject({ kind: 'rolled-back', restore: { restored: true, errors: [] } });
    expect(await live()).toEqual(before);
    expect(await settleStaleWindow(bed.config.status_dir ?? '', bed.targets, bed.layout)).toEqual({ kind: 'none' });
  });

  /** The child runs with a tmpfs over the status folder in its own mount namespace: nothing outside it sees the mount. */
  const privateStatusFolder = async (): Promise<{ readonly prefix: readonly string[]; readonly dir: string }> => {
    const dir = bed.config.status_dir ?? '';
    await mkdir(dir, { recursive: true });
    const mount = 'mount -t tmpfs -o size=4m tmpfs "$0" && exec "$@"';
    return { dir, prefix: ['unshare', '-m', '--propagation', 'private', 'sh', '-c', mount, dir] };
  };
  const breakFolder = async (pid: number | undefined, dir: string, fault: 'remount,ro' | 'fill'): Promise<void> => {
    if (fault === 'fill')
      await execFileAsync('nsenter', ['-t', String(pid), '-m', 'sh', '-c', `cat /dev/zero > ${dir}/fill; true`]);
    else await execFileAsync('nsenter', ['-t', String(pid), '-m', 'mount', '-o', 'remount,ro', dir]);
  };

  it('a status folder that turns read-only after the armed marker: the window rolls back at once, never an unconfirmed new cell', async () => {
    const { prefix, dir } = await privateStatusFolder();
    for (const fault of ['remount,ro', 'fill'] as const) {
      const w = await openWindow(60, 'pipe', { prefix, env: { PICT_STEP: '1' }, ready: 'armed\n' });
      await w.opened;
      await breakFolder(w.child.pid, dir, fault);
      w.child.stdin?.end('go\n');
      const { code, stdout, stderr } = await w.exited;
      expect(stderr, fault).toMatch(/could not record the open window/);
      expect(JSON.parse(stdout), fault).toMatchObject({ end: 'abandoned', restored: true });
      expect(code).toBe(0);
      expect(await live(), fault).toEqual(before);
    }
  });

  it('a status folder that cannot take the expired or terminated marker: the window rolls back anyway and says what it could not record', async () => {
    const { prefix, dir } = await privateStatusFolder();
    for (const end of ['expired', 'terminated'] as const)
      for (const fault of ['remount,ro', 'fill'] as const) {
        const w = await openWindow(end === 'expired' ? 4 : 60, 'ignore', { prefix });
        await w.opened;
        await breakFolder(w.child.pid, dir, fault);
        if (end === 'terminated') w.child.kill('SIGTERM');
        const { code, stdout, stderr } = await w.exited;
        const why = end === 'expired' ? 'not confirmed in time' : 'terminated';
        expect(stderr, `${end} ${fault}`).toContain(`${why}: restoring the previous state`);
        const result = JSON.parse(stdout) as { end: string; restored: boolean; errors: string[] };
        expect(result, `${end} ${fault}`).toMatchObject({ end, restored: true });
        expect(result.errors.join('\n'), `${end} ${fault}`).toContain(`could not record the window as ${end}`);
        expect(code).toBe(0);
        expect(await live(), `${end} ${fault}`).toEqual(before);
      }
  });

  it('a confirmation on disk stands when the window dies before reading it: confirm says so, the next writer keeps it', async () => {
    const w = await openWindow(60);
    await w.opened;
    const during = await live();
    w.child.kill('SIGSTOP');
    const answer = confirmOpenWindow(bed.config.status_dir ?? '', bed.targets.wireguard.locator, { pollMs: 50 });
    const request = join(bed.config.status_dir ?? '', REQUEST_FILE);
    while (
      !(await access(request).then(
        () => true,
        () => false,
      ))
    )
      await new Promise((done) => setTimeout(done, 20));
    w.child.kill('SIGKILL');
    await w.exited;
    expect(await answer).toMatchObject({
      ok: true,
      message: expect.stringContaining('the next run or apply keeps the new state'),
    });
    expect(await settleStaleWindow(bed.config.status_dir ?? '', bed.targets, bed.layout)).toEqual({
      kind: 'confirmed',
    });
    expect(await live()).toEqual(during);
  });

  it('confirm at the deadline always prints what the window did', async () => {
    for (const delayMs of [850, 950, 990, 1_000, 1_010, 1_050]) {
      const w = await openWindow(1);
      await w.opened;
      await new Promise((done) => setTimeout(done, delayMs));
      const answer = await confirmOpenWindow(bed.config.status_dir ?? '', bed.targets.wireguard.locator, {
        pollMs: 20,
      });
      const { stdout } = await w.exited;
      const end = (JSON.parse(stdout) as { end: string }).end;
      expect(answer.ok, `${delayMs} ms: ${answer.message} / window ${end}`).toBe(end === 'confirmed');
      if (end !== 'confirmed') expect(await live()).toEqual(before);
      expect((await reconcileCell(state, bed.targets, bed.layout)).converged).toBe(true);
    }
  }, 60_000);
});
