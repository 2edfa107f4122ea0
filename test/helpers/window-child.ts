import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { configFileJson } from '../../src/config/controller-config.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import { reconcileCell } from '../../src/pass/reconcile-cell.js';
import { takeSnapshot } from '../../src/rollback/cell-snapshot.js';
import { builtEntry, REPO_ROOT } from './build-dist.js';
import type { TestbedFixture } from './testbed.js';

const CHILD = join(REPO_ROOT, 'test/helpers/confirm-window-child.mjs');

export interface WindowChild {
  readonly child: ChildProcess;
  /** Resolves once the child has said how to confirm (its marker is written by then). */
  readonly opened: Promise<void>;
  readonly exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

export interface AroundWindow {
  /** A command the child runs under (unshare, a faked clock). */
  readonly prefix?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** The stderr text that means "opened" (default: the window's `confirm within` line). */
  readonly ready?: string;
}

/** Converges `state`, snapshots it, applies `changed`, and opens the window in a child process. */
export async function openWindowChild(
  bed: TestbedFixture,
  states: { readonly state: DesiredState; readonly changed: DesiredState },
  seconds: number,
  stdin: 'ignore' | 'pipe' = 'ignore',
  around: AroundWindow = {},
): Promise<WindowChild> {
  expect((await reconcileCell(states.state, bed.targets, bed.layout)).converged).toBe(true);
  const snapshotFile = join(bed.workDir, 'snapshot.json');
  await writeFile(
    snapshotFile,
    JSON.stringify(await takeSnapshot(bed.targets, bed.layout, states.state.cell.peer_subnet)),
  );
  expect((await reconcileCell(states.changed, bed.targets, bed.layout)).converged).toBe(true);
  const dist = dirname(dirname(builtEntry('rollback/confirm-window.js')));
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
