/**
 * The confirm window against a wall clock that steps by years mid-window (a board without a
 * battery-backed clock at its first NTP sync), on a namespace cell. Only the window's process
 * sees the stepped clock (libfaketime, its monotonic clock left alone); the host's clock and
 * the test's are never touched. The window must still close when its real time is up, and a
 * `confirm` from a process with the true time must still confirm.
 */
import { existsSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, expect, it } from 'vitest';
import { reconcileCell } from '../../src/pass/reconcile-cell.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import { confirmOpenWindow } from '../../src/rollback/confirm-open-window.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { liveCell, useTestbed } from '../helpers/testbed.js';
import { openWindowChild, type WindowChild } from '../helpers/window-child.js';

const ready = requirePrerequisites(['root', 'iptables', 'ip', 'faketime']);

/** libfaketime itself: the `faketime` wrapper would pin the offset, we step it through a file. */
function libfaketime(): string {
  for (const arch of readdirSync('/usr/lib')) {
    const path = join('/usr/lib', arch, 'faketime', 'libfaketime.so.1');
    if (existsSync(path)) return path;
  }
  throw new Error('libfaketime.so.1 not found under /usr/lib/*/faketime (Debian package faketime)');
}

const t = useTestbed(ready, 'state', { timeoutMs: 120_000 });
let changed: DesiredState;
let offsetFile = '';
let before: Record<string, string | null>;
beforeEach(async () => {
  if (!ready.ok) return;
  changed = {
    ...t.state,
    peers: t.state.peers.map((p) => (p.name === 'bob' ? { ...p, internet_access: !p.internet_access } : p)),
  };
  offsetFile = join(t.bed.workDir, 'wall-clock-offset');
  await writeFile(offsetFile, '+0\n');
  expect((await reconcileCell(t.state, t.bed.targets, t.bed.layout)).converged).toBe(true);
  before = await liveCell(t.bed);
});

/** A window whose wall clock reads the offset file at every call. */
const openSteppedWindow = (seconds: number): Promise<WindowChild> =>
  openWindowChild(t.bed, { state: t.state, changed }, seconds, 'ignore', {
    env: {
      LD_PRELOAD: libfaketime(),
      FAKETIME_TIMESTAMP_FILE: offsetFile,
      FAKETIME_NO_CACHE: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    },
  });

it('a wall clock stepped 100 years ahead mid-window neither closes the window nor stops a confirm', async () => {
  const w = await openSteppedWindow(60);
  await w.opened;
  const during = await liveCell(t.bed);
  await writeFile(offsetFile, '+100y\n');
  await new Promise((done) => setTimeout(done, 1_500));
  // A window on the wall clock would have expired at the step and rolled back by now.
  expect(w.child.exitCode).toBeNull();
  const answer = await confirmOpenWindow(t.bed.config.status_dir ?? '', t.bed.targets.wireguard.locator, {
    pollMs: 20,
  });
  expect(answer).toMatchObject({ ok: true });
  const { stdout } = await w.exited;
  expect(JSON.parse(stdout)).toMatchObject({ end: 'confirmed' });
  expect(await liveCell(t.bed)).toEqual(during);
});

it('a wall clock stepped 30 years back mid-window still closes it when its real time is up', async () => {
  const w = await openSteppedWindow(2);
  await w.opened;
  await writeFile(offsetFile, '-30y\n');
  const t0 = performance.now();
  const { stdout } = await w.exited;
  // On the wall clock it would stay open for 30 years.
  expect(performance.now() - t0).toBeLessThan(30_000);
  expect(JSON.parse(stdout)).toMatchObject({ end: 'expired', restored: true });
  expect(await liveCell(t.bed)).toEqual(before);
});
