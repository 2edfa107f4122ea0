/**
 * One writer per cell, with the built CLI as operators run it: a second `run` and an `apply`
 * on a cell that a `run` holds exit 1 at once naming the holder; readers still work; after
 * the holder is SIGKILLed a new `run` takes the cell.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFileJson } from '../../src/config/controller-config.js';
import { acquireCellLock } from '../../src/lock/cell-lock.js';
import { cleanupNamespaces } from '../../src/testbed/netns.js';
import { builtEntry } from '../helpers/build-dist.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { createTestbed, loadValidState, type TestbedFixture } from '../helpers/testbed.js';

const execFileAsync = promisify(execFile);
const ready = requirePrerequisites(['root', 'iptables', 'ip']);

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** A CLI command to its end: exit code, output and how long it took. */
async function cli(entry: string, args: readonly string[]): Promise<Finished> {
  const t0 = performance.now();
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [entry, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr, ms: performance.now() - t0 };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : null,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? '',
      ms: performance.now() - t0,
    };
  }
}

/** `run` as a child process; resolves `converged` on its first converged pass. */
function startRun(
  entry: string,
  args: readonly string[],
): { child: ChildProcess; converged: Promise<void>; exited: Promise<number | null>; listen: () => string | null } {
  const child = spawn(process.execPath, [entry, 'run', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const converged = new Promise<void>((done, fail) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (/"msg":"reconcile converged"/.test(out)) done();
    });
    void exited.then((code) => fail(new Error(`run exited ${code} before converging: ${err}`)));
  });
  converged.catch(() => undefined);
  const listen = (): string | null => /"listen":"([^"]+)"/.exec(out)?.[1] ?? null;
  return { child, converged, exited, listen };
}

describe('one writer per cell', () => {
  let bed: TestbedFixture;
  let entry = '';
  let args: string[] = [];
  let configPath = '';
  const started: ChildProcess[] = [];

  beforeAll(async () => {
    if (!ready.ok) return;
    entry = builtEntry('cli/main.js');
    bed = await createTestbed(await loadValidState('state'));
    const stateDir = join(bed.workDir, 'state');
    await cp('state', stateDir, { recursive: true });
    const config = join(bed.workDir, 'config.json');
    configPath = config;
    // Port 0: each run listens where it can; the lock, not the port, must keep the second one out.
    await writeFile(
      config,
      JSON.stringify({
        ...configFileJson(bed.config),
        listen: '127.0.0.1:0',
        resync_seconds: 3_600,
        status_dir: join(bed.workDir, 'status-a'),
      }),
    );
    args = ['--state', stateDir, '--config', config];
  });
  afterAll(async () => {
    for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
    await bed?.dispose();
    await cleanupNamespaces();
  });

  it('a second run, an apply and an import are refused at once naming the holder; readers are not; SIGKILL frees the cell', async () => {
    const first = startRun(entry, args);
    started.push(first.child);
    await first.converged;

    // Another state and status folder, same cell: still refused.
    const otherConfig = join(bed.workDir, 'config-b.json');
    await writeFile(
      otherConfig,
      JSON.stringify({
        ...configFileJson(bed.config),
        listen: '127.0.0.1:0',
        status_dir: join(bed.workDir, 'status-b'),
      }),
    );
    const second = await cli(entry, ['run', '--state', 'state', '--config', otherConfig]);
    expect(second.code).toBe(1);
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect(second.stderr).toContain(`another writer holds this cell: pid ${first.child.pid} (`);
    expect(second.stderr).toMatch(/main\.js run --state/);
    // At once, not after a wait for the lock (a cold CLI start under load takes a few seconds).
    expect(second.ms).toBeLessThan(20_000);

    const apply = await cli(entry, ['apply', ...args]);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain(`pid ${first.child.pid}`);
    expect(apply.stdout).toBe('');
    const imported = await cli(entry, ['import', '--out', join(bed.workDir, 'imported'), '--config', configPath]);
    expect(imported.code).toBe(1);
    expect(imported.stderr).toContain(`pid ${first.child.pid}`);

    // Readers never take the lock: plan answers (nothing to do on a converged cell).
    expect((await cli(entry, ['plan', ...args])).code).toBe(0);
    expect((await cli(entry, ['apply', '--dry-run', ...args])).code).toBe(0);

    first.child.kill('SIGKILL');
    await first.exited;
    const next = startRun(entry, args);
    started.push(next.child);
    await next.converged;
    next.child.kill('SIGTERM');
    expect(await next.exited).toBe(0);
  });

  it('nobody opening 2,000 connections to its port and trying the lock leaves run alive, answering and the holder', async () => {
    const holder = startRun(entry, args);
    started.push(holder.child);
    await holder.converged;
    const listen = holder.listen();
    if (listen === null) throw new Error('run did not log its listen address');
    const port = Number(listen.slice(listen.lastIndexOf(':') + 1));
    // As nobody: connect and close at once, and hold others open, as the attack on the old abstract-socket lock did.
    const flood = `const net=require('net');let n=0;for(let i=0;i<2000;i++){const s=net.connect(${port},'127.0.0.1');s.on('error',()=>{});s.on('connect',()=>{if(i%2)s.destroy();if(++n===2000)setTimeout(()=>process.exit(0),500)})}`;
    const attacker = await execFileAsync(process.execPath, ['-e', flood], { uid: 65534, gid: 65534, timeout: 30_000 });
    expect(attacker.stderr).toBe('');
    const lockTry = await execFileAsync(
      'sh',
      ['-c', `for i in $(seq 100); do flock -n ${bed.config.lock_dir}/x true 2>/dev/null; done; echo done`],
      { uid: 65534, gid: 65534 },
    );
    expect(lockTry.stdout.trim()).toBe('done');
    const health = await fetch(`http://${listen}/healthz`);
    expect(health.status).toBe(200);
    expect(holder.child.exitCode).toBeNull();
    const apply = await cli(entry, ['apply', ...args]);
    expect(apply.stderr).toContain(`another writer holds this cell: pid ${holder.child.pid} (`);
    holder.child.kill('SIGTERM');
    expect(await holder.exited).toBe(0);
  });

  it('in one process: the lock is exclusive until released, and names this process', async () => {
    const locator = `netns:pict-${process.pid}-lock-unit`;
    const folder = join(await mkdtemp(join(tmpdir(), 'pict-lock-')), 'lock');
    const held = await acquireCellLock(locator, { folder });
    if (!held.ok) throw new Error(held.error);
    const again = await acquireCellLock(locator, { folder });
    expect(again).toEqual({
      ok: false,
      error: expect.stringContaining(`${locator}: another writer holds this cell: pid ${process.pid} (`),
    });
    const other = await acquireCellLock(`${locator}-other`, { folder });
    if (!other.ok) throw new Error(other.error);
    await Promise.all([held.lock.release(), other.lock.release()]);
    const after = await acquireCellLock(locator, { folder });
    if (!after.ok) throw new Error(`not free after release: ${after.error}`);
    await after.lock.release();
  });
});
