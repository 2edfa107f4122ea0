import { readFileSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Option } from 'commander';
import { ALL_COMMANDS } from '../../src/cli/declarations/all-commands.js';
import { builtEntry } from '../helpers/build-dist.js';
import { runCli, runProgram } from '../helpers/run-cli.js';

/**
 * The CLI's conventions, through the built entry point as a user runs it: help per command,
 * version, strict flags and arguments, one-line errors, --json documents, completion.
 */

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const STATE = join(REPO, 'state');
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

/** Every visible long flag of a command, as its declaration names it. */
const flagsOf = (name: string): string[] =>
  (ALL_COMMANDS.find((c) => c.name === name)?.options ?? [])
    .filter((o) => o.deprecatedFor === undefined)
    .map((o) => `--${new Option(o.flags).name()}`);

describe('CLI conventions', () => {
  let work = '';
  beforeAll(async () => {
    builtEntry('cli/main.js');
    work = await mkdtemp(join(tmpdir(), `pict-${process.pid}-cli-`));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('root help lists every command with its summary, examples and exit codes', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stderr).toBe('');
    expect(help.stdout).toMatch(/^Usage: pic-reconciler /);
    for (const command of ALL_COMMANDS)
      expect(help.stdout).toMatch(
        new RegExp(`^  ${command.name}\\b.*${command.summary.slice(0, 20).replace(/[()]/g, '\\$&')}`, 'm'),
      );
    expect(help.stdout).toContain('pic-reconciler run --state');
    expect(help.stdout).toMatch(/^  plan +0 nothing to do, 2 changes pending, 1 error$/m);
  });

  it.each(ALL_COMMANDS.map((c) => c.name))('`%s --help` explains each of its flags with an example', async (name) => {
    const help = await runCli([name, '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(new RegExp(`^Usage: pic-reconciler ${name}`));
    for (const flag of flagsOf(name)) {
      // The flag's line, then its help, then "e.g." with the flag in use, before the next flag.
      expect(help.stdout).toMatch(new RegExp(`^  ${flag}\\b[^]*?e\\.g\\. [^\\n]*${flag.slice(2)}`, 'm'));
    }
    expect(help.stdout).toMatch(/^Examples:\n  \S/m);
    expect(help.stdout).toMatch(/^Exit codes: /m);
    expect(await runCli(['help', name])).toEqual(help);
  });

  it('plan --help names its flags and hides the old --from', async () => {
    const help = (await runCli(['plan', '--help'])).stdout;
    for (const flag of ['--state <dir>', '--config <file>', '--from-dump <dir>', '--json', '$PIC_STATE', '$PIC_CONFIG'])
      expect(help).toContain(flag);
    expect(help).not.toMatch(/--from </);
  });

  it('apply --help explains --confirm-within and its exit 3; confirm --help its exit codes', async () => {
    const apply = (await runCli(['apply', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(apply).toContain(
      '--confirm-within <seconds> apply, then keep the new state only if `pic-reconciler confirm` (another shell) or y (this terminal) comes within SECONDS (5-3600)',
    );
    expect(apply).toContain('e.g. apply --state ./state --confirm-within 120');
    expect(apply).toMatch(
      /Exit codes: 0 converged \(with --confirm-within: confirmed\), 3 not confirmed: rolled back and verified, 1 error/,
    );
    const confirm = (await runCli(['confirm', '--help'])).stdout.replace(/\s+/g, ' ');
    expect(confirm).toContain('Usage: pic-reconciler confirm [options]');
    expect(confirm).toMatch(/Exit codes: 0 confirmed, 1 nothing to confirm/);
  });

  it('--version and version print the package version and exit 0', async () => {
    for (const args of [['--version'], ['-V'], ['version']])
      expect(await runCli(args)).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('an unknown flag, a flag of another command and a stray argument are one-line errors, exit 1', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['validate', '--state', STATE, '--out', 'x'],
        /^pic-reconciler: unknown option '--out' \(see pic-reconciler validate --help\)\n$/,
      ],
      [['validate', 'extra', '--state', STATE], /^pic-reconciler: too many arguments for 'validate'\. .*\n$/],
      [
        ['validate', 'extra', '--state', STATE, '--out', 'x', '--dry-run', '--json'],
        /^pic-reconciler: unknown option '--out'.*\n$/,
      ],
      [['plan', '--stat', STATE], /^pic-reconciler: unknown option '--stat' \(Did you mean --state\?\).*\n$/],
      [['--frob'], /^pic-reconciler: unknown option '--frob' \(see pic-reconciler --help\)\n$/],
      [['frob'], /^pic-reconciler: unknown command 'frob'.*\n$/],
      // `help` of no command is the same error as the command itself, typo hint included.
      [['help', 'nope'], /^pic-reconciler: unknown command 'nope' \(see pic-reconciler --help\)\n$/],
      [['help', 'pln'], /^pic-reconciler: unknown command 'pln' \(Did you mean plan\?\).*\n$/],
      [['completion', 'fish'], /^pic-reconciler: .*'fish' is invalid.*bash, zsh.*\n$/],
      [['plan', '--state'], /^pic-reconciler: option '--state <dir>' argument missing.*\n$/],
    ];
    for (const [args, stderr] of cases) {
      const result = await runCli(args);
      expect({ args, ...result }).toMatchObject({ args, code: 1, stdout: '', stderr: expect.stringMatching(stderr) });
    }
  });

  it('validate names the missing folder itself, and --state is required unless PIC_STATE is set', async () => {
    const missing = join(work, 'no-such-state');
    const result = await runCli(['validate', '--state', missing]);
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')[0]).toBe(`${missing}: /: cannot open the state directory: ENOENT`);
    expect(result.stderr).not.toMatch(/^\.: /m);

    expect(await runCli(['validate'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'pic-reconciler: --state is required (or set PIC_STATE)\n',
    });
    const fromEnv = await runCli(['validate'], { env: { PIC_STATE: STATE } });
    expect(fromEnv).toEqual({
      code: 0,
      stdout: `${STATE}: valid: cell home, 5 peers, 2 cell links, 6 access tests pass\n`,
      stderr: '',
    });
    // The flag wins over the variable.
    expect((await runCli(['validate', '--state', STATE], { env: { PIC_STATE: missing } })).code).toBe(0);
  });

  it('validate --json of an invalid folder still says what loaded: cell, peers, links', async () => {
    const broken = join(work, 'broken-state');
    await cp(STATE, broken, { recursive: true });
    await writeFile(join(broken, 'peers', 'carol.json'), '{ "kind": "Peer", ');
    const result = await runCli(['validate', '--state', broken, '--json']);
    expect(result.code).toBe(1);
    const document = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(document).toMatchObject({ state: broken, valid: false, cell: 'home', peers: 4, links: 2 });
    expect(Object.keys(document)).toEqual(['state', 'valid', 'cell', 'peers', 'links', 'issues']);
  });

  it('validate --json prints one document, valid or not', async () => {
    const valid = await runCli(['validate', '--state', STATE, '--json']);
    expect(valid.code).toBe(0);
    expect(JSON.parse(valid.stdout)).toEqual({
      state: STATE,
      valid: true,
      cell: 'home',
      peers: 5,
      links: 2,
      tests: 6,
      issues: [],
    });
    const missing = join(work, 'gone');
    const invalid = await runCli(['validate', '--state', missing, '--json']);
    expect(invalid.code).toBe(1);
    const document = JSON.parse(invalid.stdout) as { valid: boolean; issues: { file: string }[] };
    expect(document.valid).toBe(false);
    expect(document.issues[0]).toMatchObject({
      file: missing,
      pointer: '',
      message: 'cannot open the state directory: ENOENT',
    });
    expect(invalid.stderr).toContain(`${missing}: invalid (2 errors)`);
  });

  it('completion bash completes commands, flags and flag values when sourced', async () => {
    const script = await runCli(['completion', 'bash']);
    expect(script.code).toBe(0);
    const complete = async (words: string[]): Promise<string[]> => {
      const program = `source /dev/stdin <<'PIC_EOF'\n${script.stdout}PIC_EOF\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _pic_reconciler; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const result = await runProgram(['bash', '-c', program], { cwd: REPO });
      expect(result.stderr).toBe('');
      return result.stdout.split('\n').filter((w) => w !== '');
    };
    expect(await complete(['pic-reconciler', ''])).toEqual(
      expect.arrayContaining([...ALL_COMMANDS.map((c) => c.name), 'help', '--version']),
    );
    expect(await complete(['pic-reconciler', 'pl'])).toEqual(['plan']);
    expect((await complete(['pic-reconciler', 'plan', '--'])).sort()).toEqual([...flagsOf('plan'), '--help'].sort());
    expect(await complete(['pic-reconciler', 'apply', '--d'])).toEqual(['--dry-run']);
    expect(await complete(['pic-reconciler', 'plan', '--state', 'sta'])).toEqual(['state']); // a folder
    expect(await complete(['pic-reconciler', 'completion', ''])).toEqual(expect.arrayContaining(['bash', 'zsh']));
    expect(await complete(['pic-reconciler', 'help', 'va'])).toEqual(['validate']);
    expect(await complete(['pic-reconciler', 'sh'])).toEqual(['show']);
    expect(await complete(['pic-reconciler', 'plan', '--o'])).toEqual(['--out']);
    // Completed as file names: bash puts `/` after a folder, not a space, so `--state /path/sta<Tab>` goes on.
    const registered = await runProgram([
      'bash',
      '-c',
      `source /dev/stdin <<'PIC_EOF'\n${script.stdout}PIC_EOF\ncomplete -p pic-reconciler`,
    ]);
    expect(registered.stdout).toMatch(/^complete (-o \w+ )*-o filenames .*-F _pic_reconciler pic-reconciler$/m);
  });

  it('completion zsh describes every command and flag', async () => {
    const script = await runCli(['completion', 'zsh']);
    expect(script.code).toBe(0);
    expect(script.stdout).toMatch(/^#compdef pic-reconciler\n/);
    for (const command of ALL_COMMANDS) {
      expect(script.stdout).toContain(`'${command.name}:`);
      for (const flag of flagsOf(command.name)) expect(script.stdout).toContain(`'${flag}[`);
    }
    expect(script.stdout).toContain(
      "'--state[the desired-state folder (cell.json, peers/, cells/) (default\\: $PIC_STATE)]:dir:_files -/'",
    );
    // A saved plan is a file: `show` and `apply` complete file names for it.
    for (const command of ['show', 'apply'])
      expect(script.stdout).toMatch(new RegExp(`\\n    ${command}\\)\\n      _arguments -s [^\\n]*'1:file:_files' ;;`));
  });
});
