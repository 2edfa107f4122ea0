import { spawn, type ChildProcess } from 'node:child_process';
import type { RunResult } from '../../src/testbed/netns.js';
import { builtEntry } from './build-dist.js';

/** The environment a CLI test starts from: the caller's, less every variable the CLI reads. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['PIC_STATE', 'PIC_CONFIG', 'NO_COLOR', 'FORCE_COLOR']) delete env[name];
  return env;
}

/** Runs the built CLI (`node dist/cli/main.js ARGS`) with extra environment variables; resolves whatever the exit code. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return runProgram([process.execPath, builtEntry('cli/main.js'), ...args], options);
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Kill the program (SIGKILL) when it runs longer: a hang becomes a failing answer (code 137), not a stuck test. */
  readonly timeoutMs?: number;
}

export function runProgram(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const [program, ...args] = argv;
  if (program === undefined) return Promise.reject(new Error('empty command'));
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      env: { ...cleanEnv(), ...options.env },
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            stderr += `[killed after ${options.timeoutMs} ms]`;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal === 'SIGKILL' ? 137 : 128), stdout, stderr });
    });
  });
}

/**
 * `explain` of the repository's example state with the built CLI, from one peer or cell to one
 * endpoint; `rules` names the rules it reads: `['--config', FILE]` (live) or `['--from-dump', DIR]`.
 */
export function runExplain(
  rules: readonly string[],
  from: string,
  to: string,
  ...flags: readonly string[]
): Promise<RunResult> {
  return runCli(['explain', '--state', 'state', ...rules, '--from', from, '--to', to, ...flags]);
}

export interface StartedExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Started {
  readonly child: ChildProcess;
  /** Resolves once stderr has a line matching the pattern; rejects if the process ends first. */
  line(pattern: RegExp): Promise<void>;
  readonly exited: Promise<StartedExit>;
}

/** A node entry point (the built CLI) as a child process with the caller's environment, its output collected. */
export function startNode(entry: string, args: readonly string[], stdin: 'ignore' | 'pipe' = 'ignore'): Started {
  const child = spawn(process.execPath, [entry, ...args], { stdio: [stdin, 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiting: { pattern: RegExp; done: () => void }[] = [];
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    for (const w of waiting.filter((x) => x.pattern.test(stderr))) w.done();
  });
  const exited = new Promise<StartedExit>((done) =>
    child.once('close', (code, signal) => done({ code, signal, stdout, stderr })),
  );
  return {
    child,
    exited,
    line: (pattern) =>
      new Promise<void>((done, fail) => {
        if (pattern.test(stderr)) return done();
        waiting.push({ pattern, done });
        void exited.then((e) => fail(new Error(`exited ${e.code ?? e.signal} before ${pattern}: ${e.stderr}`)));
      }),
  };
}
