import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/build-dist.js';
import { runProgram } from '../helpers/run-cli.js';

/**
 * One CLI artefact for every command: in a copy of the checkout, a string in `validate`'s handler
 * and one in `run`'s are edited, the CLI is rebuilt, and both commands print the new text. The
 * stale-bundle trap of issue 21 (after `npm run build`, tsc alone gave `run` the new text and
 * `validate` the old) is checked the same way. The checkout itself is never touched.
 */

const COPIED = ['src', 'state', 'schema', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

function build(cwd: string, command: string, args: readonly string[]): void {
  const result = spawnSync(command, [...args], { cwd, encoding: 'utf8', timeout: 240_000 });
  expect(result.status, `${command} ${args.join(' ')}: ${result.stdout}${result.stderr}`).toBe(0);
}

describe('one CLI artefact, rebuilt the documented way', () => {
  let copy = '';
  beforeAll(async () => {
    copy = await mkdtemp(join(tmpdir(), `pict-${process.pid}-artefact-`));
    for (const name of COPIED) await cp(join(REPO_ROOT, name), join(copy, name), { recursive: true });
    await cp(join(REPO_ROOT, 'rolldown.config.mjs'), join(copy, 'rolldown.config.mjs'));
    await symlink(join(REPO_ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  });
  afterAll(() => rm(copy, { recursive: true, force: true }));

  /** Replaces `from` by `to` in one source file of the copy (it must be there). */
  async function edit(file: string, from: string, to: string): Promise<void> {
    const path = join(copy, 'src', file);
    const source = await readFile(path, 'utf8');
    expect(source, file).toContain(from);
    await writeFile(path, source.replace(from, to));
  }

  /** What `validate` of the example state and `run` without --state print with the copy's dist/cli/main.js. */
  async function printed(): Promise<{ validate: string; run: string }> {
    const main = join(copy, 'dist', 'cli', 'main.js');
    // runProgram clears PIC_STATE: `run` stops at its first check, before any lock or cell.
    const validate = await runProgram([process.execPath, main, 'validate', '--state', 'state'], { cwd: copy });
    expect(validate.code, validate.stderr).toBe(0);
    const run = await runProgram([process.execPath, main, 'run'], { cwd: copy });
    expect(run.code).toBe(1);
    return { validate: validate.stdout, run: run.stderr };
  }

  it('npm run build gives validate and run the edited text, from one ES-module bundle', async () => {
    await edit('cli/commands/validate.ts', '`${shown}: valid: cell ', '`${shown}: valid (edited): cell ');
    await edit(
      'cli/commands/run.ts',
      "requireOption(values.state, '--state')",
      "requireOption(values.state, '--state-edited')",
    );
    build(copy, 'npm', ['run', 'build']);
    const out = await printed();
    expect(out.validate).toMatch(/^state: valid \(edited\): cell home/);
    expect(out.run).toContain('pic-reconciler: --state-edited is required');
    // The bundle's main.js, not tsc's (which imports ./build-program.js), and its chunks: ES modules only.
    const main = await readFile(join(copy, 'dist', 'cli', 'main.js'), 'utf8');
    expect(main).toMatch(/^#!\/usr\/bin\/env node\n/);
    expect(main).not.toContain("from './build-program.js'");
    const chunks = await readdir(join(copy, 'dist', 'cli', 'chunks'));
    expect(chunks.some((name) => /^validate-[\w-]+\.js$/.test(name))).toBe(true);
    expect(chunks.filter((name) => !/\.js(\.map)?$/.test(name))).toEqual([]);
  }, 300_000);

  it('tsc alone after it gives both commands the new text too (no stale bundle for one of them)', async () => {
    await edit('cli/commands/validate.ts', 'valid (edited): cell ', 'valid (tsc): cell ');
    await edit('cli/commands/run.ts', "'--state-edited'", "'--state-tsc'");
    build(copy, 'npx', ['tsc', '-p', 'tsconfig.build.json']);
    const out = await printed();
    expect(out.validate).toMatch(/^state: valid \(tsc\): cell home/);
    expect(out.run).toContain('pic-reconciler: --state-tsc is required');
  }, 300_000);
});
