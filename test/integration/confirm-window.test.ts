import { configFileJson } from '../../src/config/controller-config.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { access, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { reconcileCell } from '../../src/pass/reconcile-cell.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import { takeSnapshot } from '../../src/rollback/cell-snapshot.js';
import { confirmOpenWindow } from '../../src/rollback/confirm-open-window.js';
import { settleStaleWindow } from '../../src/rollback/settle-stale-window.js';
import { MARKER_FILE } from '../../src/rollback/window-marker.js';
import { cleanupNamespaces, nsRunOk } from '../../src/testbed/netns.js';
import { builtEntry, REPO_ROOT } from '../helpers/build-dist.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { createTestbed, loadValidState, type TestbedFixture } from '../helpers/testbed.js';

const ready = requirePrerequisites(['root', 'iptables', 'ip']);
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
  async function openWindow(seconds: number, stdin: 'ignore' | 'pipe' = 'ignore'): Promise<Window> {
    expect((await reconcileCell(state, bed.targets, bed.layout)).converged).toBe(true);
    const snapshotFile = join(bed.workDir, 'snapshot.json');
    await writeFile(snapshotFile, JSON.stringify(await takeSnapshot(bed.targets, bed.layout, state.cell.peer_subnet)));
    expect((await reconcileCell(changed, bed.targets, bed.layout)).converged).toBe(true);
    const child = spawn(
      process.execPath,
      [CHILD, dist, JSON.stringify(configFileJson(bed.config)), snapshotFile, String(seconds)],
      { stdio: [stdin, 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    const opened = new Promise<void>((resolve) => {
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('confirm within')) resolve();
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
});
