import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from './wait-for.js';

/**
 * The dockerd a test run starts when none answers, shared by every test file of the run and
 * stopped once at the end by the global teardown (test/helpers/global-setup.ts).
 *
 * The run folder (one per `vitest run`) holds a lock, so that test files starting in parallel
 * start one daemon, not one each; the daemon's PID and start time, so that the teardown stops
 * exactly that process (not one that took its PID later) even when the file that started it
 * failed or its worker exited; and the reason it failed to start, for the files that waited.
 * The daemon is detached: it outlives the worker that started it, never the run.
 */

export interface DaemonSpec {
  /** The command that becomes dockerd (`dockerd …`, or `nsenter --net=… dockerd …`, which execs it under the same PID). */
  readonly argv: readonly [string, ...string[]];
  /** Whether the daemon answers (a ping within a short deadline). */
  readonly answers: () => Promise<boolean>;
}

const READY_MS = 30_000;
const STOP_MS = 15_000;

const paths = (runDir: string) => ({
  lock: join(runDir, 'dockerd.lock'),
  pid: join(runDir, 'dockerd.pid'),
  failed: join(runDir, 'dockerd.failed'),
  log: join(runDir, 'dockerd.log'),
});

/** The kernel's start time of a live process (field 22 of /proc/PID/stat), or null when it is gone or a zombie. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? null : (fields[19] ?? null);
  } catch {
    return null;
  }
}

/** Makes sure a daemon answers; the first caller of the run starts it, the others wait for it. */
export async function ensureSuiteDaemon(runDir: string, spec: DaemonSpec): Promise<void> {
  if (await spec.answers()) return;
  const files = paths(runDir);
  const lock = await open(files.lock, 'wx').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST') return null;
    throw error;
  });
  if (lock === null) {
    let failure: string | null = null;
    await waitFor(
      'the dockerd another test file starts',
      async () => {
        failure = await readFile(files.failed, 'utf8').catch(() => null);
        return failure !== null || (await spec.answers());
      },
      READY_MS + STOP_MS,
    );
    if (failure !== null) throw new Error(failure);
    return;
  }
  await lock.close();
  const fd = openSync(files.log, 'a');
  const [program, ...args] = spec.argv;
  const daemon = spawn(program, args, { stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  daemon.unref();
  const spawned = new Promise<Error | null>((resolve) => {
    daemon.once('spawn', () => resolve(null));
    daemon.once('error', resolve);
  });
  const error = await spawned;
  if (error !== null || daemon.pid === undefined)
    return fail(files.failed, `cannot start dockerd: ${error?.message ?? 'no pid'}`);
  await writeFile(files.pid, `${daemon.pid} ${startTime(daemon.pid)}\n`);
  try {
    await waitFor('dockerd to answer', async () => daemon.exitCode !== null || (await spec.answers()), READY_MS);
  } catch {
    // Reported below with the log's last lines.
  }
  if (daemon.exitCode === null && (await spec.answers())) return;
  const tail = readFileSync(files.log, 'utf8').trim().split('\n').slice(-5).join(' | ');
  await stopSuiteDaemon(runDir);
  return fail(files.failed, `dockerd did not become ready (log ${files.log}): ${tail}`);
}

async function fail(file: string, message: string): Promise<never> {
  await writeFile(file, message);
  throw new Error(message);
}

/** Stops the daemon this run started, if it started one: by its recorded PID, SIGTERM then SIGKILL. Returns its PID. */
export async function stopSuiteDaemon(runDir: string): Promise<number | null> {
  const recorded = await readFile(paths(runDir).pid, 'utf8').catch(() => null);
  if (recorded === null) return null;
  const [pidText, started] = recorded.trim().split(' ');
  const pid = Number(pidText);
  const ours = (): boolean => startTime(pid) === started;
  if (!Number.isInteger(pid) || pid <= 1 || !ours()) return null;
  process.kill(pid, 'SIGTERM');
  try {
    await waitFor('our dockerd to exit', () => !ours(), STOP_MS);
  } catch {
    if (ours()) process.kill(pid, 'SIGKILL');
    await waitFor('our dockerd to die', () => !ours(), STOP_MS);
  }
  return pid;
}
