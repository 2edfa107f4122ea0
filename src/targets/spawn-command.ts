import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { ExecError, ProgramNotFoundError, type ExecResult } from '../model/target.js';
import { timedOutDetail } from './exec-defaults.js';
import { inheritedFds } from './inherited-fds.js';

export interface SpawnRequest {
  /** Locator named in errors, e.g. `netns:pict-1-0`. */
  readonly locator: string;
  /** What the caller asked to run; errors name this, not the wrapper around it. */
  readonly command: readonly string[];
  /** What actually runs (e.g. `ip netns exec NAME ...command`). */
  readonly argv: readonly string[];
  readonly stdin?: string;
  readonly timeoutMs: number;
}

/**
 * Runs argv without a shell. Resolves with the result whatever the exit code; rejects with
 * ExecError when the program cannot start or the deadline passes (the child's process group is then killed).
 */
export function spawnCommand(request: SpawnRequest): Promise<ExecResult> {
  const { locator, command, argv, stdin, timeoutMs } = request;
  const [program, ...args] = argv;
  if (program === undefined) return Promise.reject(new ExecError(locator, command, null, '', 'empty command'));
  return new Promise((resolve, reject) => {
    // Its own process group, so a deadline ends whatever it started too (a shell's children); it
    // inherits the cell lock (fds 3…), so it keeps the cell even if we are killed while it writes.
    const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe', ...inheritedFds()], detached: true });
    const { stdin: input, stdout: output, stderr: errors } = child;
    // Pipes by the stdio above; the extra fds are why the typings cannot say so.
    if (input === null || output === null || errors === null) throw new Error('spawn gave no pipes');
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let settled = false;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const timer = setTimeout(() => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone: the close event follows, but the deadline has decided.
        }
      }
      finish(() => reject(new ExecError(locator, command, null, text(stderr), timedOutDetail(timeoutMs))));
    }, timeoutMs);
    output.on('data', (chunk: Buffer) => stdout.push(chunk));
    errors.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      const failure =
        error.code === 'ENOENT'
          ? new ProgramNotFoundError(locator, command, null, text(stderr), `${program} not found`)
          : new ExecError(locator, command, null, text(stderr), error.message);
      finish(() => reject(failure));
    });
    child.on('close', (code, signal) => {
      finish(() => resolve({ stdout: text(stdout), stderr: text(stderr), exitCode: code ?? signalExitCode(signal) }));
    });
    // A child that exits without reading its input makes the pipe fail with EPIPE; its exit code tells the story.
    input.on('error', () => undefined);
    input.end(stdin ?? '');
  });
}

function text(chunks: readonly Buffer[]): string {
  return Buffer.concat(chunks).toString('utf8');
}

/** The shell's convention (128 + signal number), so a killed command never looks like success. */
function signalExitCode(signal: NodeJS.Signals | null): number {
  return 128 + (signal === null ? 0 : constants.signals[signal]);
}
