/**
 * A reader that goes away early (`pic-reconciler plan --help | head -1`) ends no command in a
 * stack trace: the built CLI is started with its stdout (or stderr) already closed at the far end.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { builtEntry } from '../helpers/build-dist.js';
import { cleanEnv, runCli } from '../helpers/run-cli.js';

interface Ended {
  readonly code: number | null;
  readonly other: string;
}

/** Runs the CLI with `closed` shut before it writes a byte; resolves its exit code and what the other stream got. */
function runWithClosed(closed: 'stdout' | 'stderr', args: readonly string[]): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [builtEntry('cli/main.js'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: cleanEnv(),
    });
    // Node takes far longer to start than this takes: every write of the child meets a closed pipe.
    child[closed].destroy();
    let other = '';
    child[closed === 'stdout' ? 'stderr' : 'stdout'].on('data', (chunk: Buffer) => (other += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, other }));
  });
}

describe('a closed stdout or stderr', () => {
  it('plan --help into a closed pipe exits 0 with nothing on stderr', async () => {
    builtEntry('cli/main.js');
    expect(await runWithClosed('stdout', ['plan', '--help'])).toEqual({ code: 0, other: '' });
    expect(await runWithClosed('stdout', ['completion', 'bash'])).toEqual({ code: 0, other: '' });
  });

  it('a closed stderr changes neither the exit code nor stdout', async () => {
    // plan writes `config: …` on stderr, then the plan on stdout, and exits 2 (changes pending).
    const args = ['plan', '--state', 'state', '--from-dump', 'test/fixtures/access/foreign-cell'];
    const open = await runCli(args);
    expect(open).toMatchObject({ code: 2, stderr: expect.stringContaining('config: ') });
    expect(await runWithClosed('stderr', args)).toEqual({ code: 2, other: open.stdout });
  });
});
