import { spawn } from 'node:child_process';
import type { RunResult } from '../../src/testbed/netns.js';
import { builtEntry } from './build-dist.js';

/** The environment a CLI test starts from: the caller's, less every variable the CLI reads. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['PIC_STATE', 'PIC_CONFIG', 'NO_COLOR', 'FORCE_COLOR']) delete env[name];
  return env;
}

/** Runs the built CLI (`node dist/cli/main.js ARGS`) with extra environment variables; resolves whatever the exit code. */
export function runCli(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<RunResult> {
  return runProgram([process.execPath, builtEntry('cli/main.js'), ...args], options);
}

export function runProgram(
  argv: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<RunResult> {
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
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 128, stdout, stderr }));
  });
}
