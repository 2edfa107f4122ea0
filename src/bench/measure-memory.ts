import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { configFileJson } from '../config/controller-config.js';
import { createNetnsCell } from './netns-cell.js';

const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const CONVERGE_TIMEOUT_MS = 180_000;

export interface MemoryRun {
  /** Peak resident set of the controller process (VmHWM), in MB (10^6 bytes). */
  readonly peakRssMB: number;
  /** Resident set once converged (VmRSS), in MB. */
  readonly rssMB: number;
  /** From spawn to the first converged reconcile, startup of node included. */
  readonly convergedAfterMs: number;
}

function statusField(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (match === null) throw new Error(`no ${field} in /proc/<pid>/status`);
  return (Number(match[1]) * 1024) / 1e6;
}

/**
 * The controller as a user runs it (`node dist/cli/main.js run`), in its own process so the
 * bench's memory does not count: converge the cell from empty namespaces, then read the
 * kernel's peak RSS of that process and stop it with SIGTERM.
 */
export async function measureMemory(stateDir: string): Promise<MemoryRun> {
  const cell = await createNetnsCell();
  const configFile = join(cell.workDir, 'config.json');
  await writeFile(configFile, JSON.stringify(configFileJson(cell.config)));
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, 'run', '--state', stateDir, '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'info' },
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`controller did not converge within ${CONVERGE_TIMEOUT_MS} ms`)),
        CONVERGE_TIMEOUT_MS,
      );
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`controller exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
      });
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (!line.startsWith('{')) return;
        const msg = (JSON.parse(line) as { msg?: string }).msg;
        if (msg === 'reconcile converged') {
          clearTimeout(timer);
          resolve();
        } else if (msg === 'reconcile not converged') {
          clearTimeout(timer);
          reject(new Error(`controller did not converge: ${line.slice(0, 400)}`));
        }
      });
    });
    const convergedAfterMs = performance.now() - t0;
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
    return { peakRssMB: statusField(status, 'VmHWM'), rssMB: statusField(status, 'VmRSS'), convergedAfterMs };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await cell.dispose();
  }
}
