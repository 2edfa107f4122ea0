import { configFileJson } from '../../src/config/controller-config.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { reconcileCell } from '../../src/pass/reconcile-cell.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import { takeSnapshot } from '../../src/rollback/cell-snapshot.js';
import { confirmOpenWindow } from '../../src/rollback/confirm-open-window.js';
import { settleStaleWindow } from '../../src/rollback/settle-stale-window.js';
import { MARKER_FILE } from '../../src/rollback/window-marker.js';
import { REQUEST_FILE } from '../../src/rollback/window-record.js';
import { cleanupNamespaces, nsRunOk } from '../../src/testbed/netns.js';
import { builtEntry, REPO_ROOT } from '../helpers/build-dist.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { createTestbed, loadValidState, type TestbedFixture } from '../helpers/testbed.js';

const ready = requirePrerequisites(['root', 'iptables', 'ip']);
const execFileAsync = promisify(execFile);
const CHILD = join(REPO_ROOT, 'test/helpers/confirm-window-child.mjs');

interface Window {
  readonly child: ChildProcess;
  /** Resolves once the child has said how to confirm (its marker is written by then). */
  readonly opened: Promise<void>;
  readonly exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

describe('a confirm window in its own process, on a namespace cell', () => {
  let state: DesiredState;
  let changed: DesiredState;
  let bed: TestbedFixture;
  let dist: string;

  beforeAll(async () => {
    if (!ready.ok) return;
    dist = dirname(dirname(builtEntry('rollback/confirm-window.js')));
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

  const live = async (): Promise<string> =>
    [
      (await nsRunOk(bed.cell.wg, ['iptables-save']))
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .map((l) => l.replace(/ \[\d+:\d+\]$/, ''))
        .join('\n'),
      await nsRunOk(bed.cell.wg, ['ip', '-4', '-j', 'rule']),
      await nsRunOk(bed.cell.wg, ['ip', '-4', '-j', 'route', 'show', 'table', 'all']),
      await nsRunOk(bed.cell.lan, ['ip', '-4', '-j', 'addr', 'show', 'dev', 'eth0']),
      await readFile(bed.corefilePath, 'utf8'),
    ].join('\n--\n');

  /** Converges the old state, snapshots it, applies the change, and opens the window in a child. */
  async function openWindow(
    seconds: number,
    stdin: 'ignore' | 'pipe' = 'ignore',
    around: { readonly prefix?: readonly string[]; readonly env?: NodeJS.ProcessEnv; readonly ready?: string } = {},
  ): Promise<Window> {
    expect((await reconcileCell(state, bed.targets, bed.layout)).converged).toBe(true);
    const snapshotFile = join(bed.workDir, 'snapshot.json');
    await writeFile(snapshotFile, JSON.stringify(await takeSnapshot(bed.targets, bed.layout, state.cell.peer_subnet)));
    expect((await reconcileCell(changed, bed.targets, bed.layout)).converged).toBe(true);
    const argv = [
      process.execPath,
      CHILD,
      dist,
      JSON.stringify(configFileJson(bed.config)),
      snapshotFile,
      String(seconds),
    ];
    const [program = '', ...args] = [...(around.prefix ?? []), ...argv];
    const child = spawn(program, args, { stdio: [stdin, 'pipe', 'pipe'], env: { ...process.env, ...around.env } });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    const opened = new Promise<void>((resolve) => {
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes(around.ready ?? 'confirm within')) resolve();
      });
    });
    const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
      child.on('close', (code) => resolve({ code, stdout, stderr })),
    );
    return { child, opened, exited };
  }

  let before: string;
  beforeEach(async () => {
    if (!ready.ok) return;
    expect((await reconcileCell(state, bed.targets, bed.layout)).converged).toBe(true);
    before = await live();
  });

  it('rolls back at once on SIGTERM, byte for byte', async () => {
    const w = await openWindow(60);
    await w.opened;
    expect(await live()).not.toBe(before);
    w.child.kill('SIGTERM');
    const { code, stdout } = await w.exited;
    expect(JSON.parse(stdout)).toEqual({ end: 'terminated', restored: true, errors: [] });
    expect(code).toBe(0);
    expect(await live()).toBe(before);
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
    expect(await live()).toBe(before);
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
    expect(await live()).toBe(during);
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
    expect(await live()).toBe(before);
    expect(await settleStaleWindow(bed.config.status_dir ?? '', bed.targets, bed.layout)).toEqual({ kind: 'none' });
  });

  it('a status folder that turns read-only after the armed marker: the window rolls back at once, never an unconfirmed new cell', async () => {
    const statusDir = bed.config.status_dir ?? '';
    await mkdir(statusDir, { recursive: true });
    // A tmpfs over the status folder in the child's own mount namespace: nothing outside it sees the mount.
    const prefix = [
      'unshare',
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount -t tmpfs -o size=4m tmpfs "$0" && exec "$@"',
      statusDir,
    ];
    for (const fault of ['remount,ro', 'fill'] as const) {
      const w = await openWindow(60, 'pipe', { prefix, env: { PICT_STEP: '1' }, ready: 'armed\n' });
      await w.opened;
      const pid = String(w.child.pid);
      if (fault === 'fill')
        await execFileAsync('nsenter', ['-t', pid, '-m', 'sh', '-c', `cat /dev/zero > ${statusDir}/fill; true`]);
      else await execFileAsync('nsenter', ['-t', pid, '-m', 'mount', '-o', 'remount,ro', statusDir]);
      w.child.stdin?.end('go\n');
      const { code, stdout, stderr } = await w.exited;
      expect(stderr, fault).toMatch(/could not record the open window/);
      expect(JSON.parse(stdout), fault).toMatchObject({ end: 'abandoned', restored: true });
      expect(code).toBe(0);
      expect(await live(), fault).toBe(before);
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
    expect(await live()).toBe(during);
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
      if (end !== 'confirmed') expect(await live()).toBe(before);
      expect((await reconcileCell(state, bed.targets, bed.layout)).converged).toBe(true);
    }
  }, 60_000);
});
