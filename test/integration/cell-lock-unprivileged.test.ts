/**
 * The cell lock against another local user and a killed holder, with real processes, real
 * files and flock(2): `nobody` can neither take the lock first nor reach its holder, and the
 * next writer waits for a command a SIGKILLed holder left running instead of racing it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, link, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireCellLock, cellLockPaths } from '../../src/lock/cell-lock.js';
import { builtEntry, REPO_ROOT } from '../helpers/build-dist.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';

const execFileAsync = promisify(execFile);
const ready = requirePrerequisites(['root']);
const HOLDER = join(REPO_ROOT, 'test/helpers/lock-holder-child.mjs');
const NOBODY = { uid: 65534, gid: 65534 };

/** A command as `nobody`: its exit code and output. */
async function asNobody(argv: readonly string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(argv[0] ?? '', argv.slice(1), { ...NOBODY, timeout: 20_000 });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : -1,
      out: (failed.stdout ?? '') + (failed.stderr ?? ''),
    };
  }
}

/** The holder child, resolved once it printed `line`. */
function startHolder(args: readonly string[], line: string): { child: ChildProcess; said: Promise<string> } {
  const child = spawn(process.execPath, [HOLDER, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const said = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes(`${line}\n`) || out.startsWith('refused')) resolve(out);
    });
    child.once('exit', (code) => reject(new Error(`holder exited ${code}: ${out}`)));
  });
  return { child, said };
}

describe('the cell lock against another local user and a killed holder', () => {
  let base = '';
  let folder = '';
  let dist = '';
  const started: ChildProcess[] = [];

  beforeAll(async () => {
    if (!ready.ok) return;
    dist = dirname(dirname(builtEntry('lock/cell-lock.js')));
    base = await mkdtemp(join(tmpdir(), 'pict-lockuser-'));
    folder = join(base, 'lock');
  });
  afterAll(async () => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(base, { recursive: true, force: true });
  });

  it('nobody cannot take the lock first, open it, flock it or plant a holder record', async () => {
    const locator = `netns:pict-${process.pid}-nobody`;
    const paths = cellLockPaths(folder, locator);
    // Before anyone holds it: the folder does not exist yet, and nobody cannot make it under a root-only parent.
    const first = await asNobody([process.execPath, HOLDER, dist, folder, locator]);
    expect(first.code).toBe(1);
    expect(first.out).toMatch(/cannot take the cell lock: .*cannot create the lock folder: EACCES/);
    const held = await acquireCellLock(locator, { folder });
    if (!held.ok) throw new Error(held.error);
    try {
      for (const attempt of [
        ['flock', '-n', paths.lock, 'true'],
        ['sh', '-c', `echo '{}' > ${paths.holder}`],
        ['touch', join(folder, 'planted')],
        [process.execPath, HOLDER, dist, folder, locator],
      ]) {
        const result = await asNobody(attempt);
        expect(result.code, attempt.join(' ')).not.toBe(0);
      }
      // And the holder is still the holder: root's second try is refused naming this process.
      const again = await acquireCellLock(locator, { folder });
      expect(again).toMatchObject({ ok: false, error: expect.stringContaining(`pid ${process.pid} (`) });
    } finally {
      await held.lock.release();
    }
  });

  it("root's lock in the service account's folder stays the service's: it can take the cell after root let go", async () => {
    // systemd's RuntimeDirectory: a folder of the service user's under root-only, non-sticky /run.
    const parent = await mkdtemp('/run/pict-lockhand-');
    try {
      await chmod(parent, 0o755);
      const handed = join(parent, 'lock');
      await mkdir(handed, { mode: 0o700 });
      await chown(handed, NOBODY.uid, NOBODY.gid);
      const locator = `netns:pict-${process.pid}-handed`;
      const paths = cellLockPaths(handed, locator);
      const held = await acquireCellLock(locator, { folder: handed });
      if (!held.ok) throw new Error(held.error);
      expect((await stat(paths.lock)).uid).toBe(NOBODY.uid);
      expect((await stat(paths.holder)).uid).toBe(NOBODY.uid);
      await held.lock.release();
      const script = `const { acquireCellLock } = await import(${JSON.stringify(join(dist, 'lock/cell-lock.js'))});
const r = await acquireCellLock(${JSON.stringify(locator)}, { folder: ${JSON.stringify(handed)} });
console.log(r.ok ? 'taken' : r.error); process.exit(r.ok ? 0 : 1);`;
      const service = await asNobody([process.execPath, '--input-type=module', '-e', script]);
      expect(service).toEqual({ code: 0, out: 'taken\n' });

      // A name the service account planted (a hard link to a file of root's) is neither locked nor given away.
      const other = `netns:pict-${process.pid}-planted`;
      const victim = join(parent, 'roots-file');
      await writeFile(victim, 'secret\n', { mode: 0o600 });
      await link(victim, cellLockPaths(handed, other).lock);
      const planted = await acquireCellLock(other, { folder: handed });
      expect(planted).toMatchObject({ ok: false, error: expect.stringContaining('a planted file') });
      expect((await stat(victim)).uid).toBe(0);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it('after SIGKILL of the holder, the next writer waits for the command it left running, then takes the cell', async () => {
    const locator = `netns:pict-${process.pid}-orphan`;
    const holder = startHolder([dist, folder, locator, '3'], 'child');
    started.push(holder.child);
    await holder.said;
    holder.child.kill('SIGKILL');
    await new Promise((done) => holder.child.once('exit', done));
    const notes: string[] = [];
    const t0 = performance.now();
    const next = await acquireCellLock(locator, { folder, note: (line) => notes.push(line) });
    const waited = performance.now() - t0;
    if (!next.ok) throw new Error(next.error);
    await next.lock.release();
    expect(notes).toEqual([
      expect.stringMatching(
        /the last writer \(pid \d+\) is gone but a command it started still holds the cell; waiting up to 60 s/,
      ),
    ]);
    // sleep 3 started before the kill: the lock came free only when it ended.
    expect(waited).toBeGreaterThan(1_000);
  });

  it('a live holder is refused at once, without waiting', async () => {
    const locator = `netns:pict-${process.pid}-live`;
    const holder = startHolder([dist, folder, locator], 'held');
    started.push(holder.child);
    await holder.said;
    const t0 = performance.now();
    const refused = await acquireCellLock(locator, { folder });
    expect(refused).toMatchObject({
      ok: false,
      error: expect.stringContaining(`another writer holds this cell: pid ${holder.child.pid} (`),
    });
    expect(performance.now() - t0).toBeLessThan(1_500);
    holder.child.kill('SIGKILL');
  });
});
