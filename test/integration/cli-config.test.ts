import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CONFIG_FILE } from '../../src/config/controller-config.js';
import { builtEntry } from '../helpers/build-dist.js';
import { runCli, runProgram } from '../helpers/run-cli.js';

/**
 * Config discovery, colour and --json for plan, through the built CLI against a saved (empty)
 * cell, so no root is needed: `--config` > `$PIC_CONFIG` > /etc/pic-reconciler/config.json >
 * built-in defaults, and plan says on stderr which one it used.
 */

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const STATE = join(REPO, 'state');
const ESC = '\u001b[';

describe('CLI config discovery, colour and --json', () => {
  let work = '';
  let dump = '';
  let config = '';
  beforeAll(async () => {
    builtEntry('cli/main.js');
    work = await mkdtemp(join(tmpdir(), `pict-${process.pid}-cli-config-`));
    dump = join(work, 'saved-cell');
    await mkdir(dump);
    config = join(work, 'config.json');
    // An interface name no default has, so the plan shows that this file was read.
    await writeFile(config, JSON.stringify({ interfaces: { wireguard: 'wgtest7' } }));
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  const plan = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli(['plan', '--state', STATE, '--from-dump', dump, ...args], { env });

  it('without --config or $PIC_CONFIG: the system file if present, else the built-in defaults', async () => {
    const result = await plan([]);
    expect(result.code).toBe(2);
    const expected = existsSync(SYSTEM_CONFIG_FILE) ? SYSTEM_CONFIG_FILE : 'built-in defaults';
    expect(result.stderr).toBe(`config: ${expected}\n`);
    expect(result.stdout).toContain(' dev wg0 table ');
  });

  it('--config, then $PIC_CONFIG; the flag wins, and a named file that cannot be read is an error', async () => {
    const flag = await plan(['--config', config]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toBe(`config: ${config} (--config)\n`);
    expect(flag.stdout).toContain(' dev wgtest7 table ');

    const env = await plan([], { PIC_CONFIG: config });
    expect(env.code).toBe(2);
    expect(env.stderr).toBe(`config: ${config} ($PIC_CONFIG)\n`);
    expect(env.stdout).toBe(flag.stdout);

    const missing = join(work, 'absent.json');
    expect((await plan(['--config', config], { PIC_CONFIG: missing })).code).toBe(2);
    expect(await plan([], { PIC_CONFIG: missing })).toEqual({
      code: 1,
      stdout: '',
      stderr: `pic-reconciler: ${missing}: /: cannot read: ENOENT\n`,
    });
  });

  it('plan --json prints one JSON document on stdout; the config line stays on stderr', async () => {
    const result = await plan(['--json', '--config', config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`config: ${config} (--config)\n`);
    const document = JSON.parse(result.stdout) as {
      format_version: number;
      actions: unknown[];
      summary: { add: number };
    };
    expect(document.format_version).toBe(1);
    expect(document.summary.add).toBeGreaterThan(0);
    expect(document.actions.length).toBeGreaterThan(0);
  });

  it('plan --from still reads a saved cell, with a deprecation note', async () => {
    const old = await runCli(['plan', '--state', STATE, '--from', dump]);
    expect(old.code).toBe(2);
    expect(old.stderr).toBe(
      'pic-reconciler: --from is deprecated; use --from-dump\nconfig: built-in defaults\n'.replace(
        'built-in defaults',
        existsSync(SYSTEM_CONFIG_FILE) ? SYSTEM_CONFIG_FILE : 'built-in defaults',
      ),
    );
    expect(old.stdout).toBe((await plan([])).stdout);
    const notDir = await runCli(['plan', '--state', STATE, '--from-dump', join(work, 'absent')]);
    expect(notDir.code).toBe(1);
    expect(notDir.stderr).toContain(`pic-reconciler: --from-dump ${join(work, 'absent')}: not a directory\n`);
  });

  it('colours + - ~ on a terminal only, and never with NO_COLOR', async () => {
    // `script` gives the CLI a pseudo-terminal as stdout; -e passes its exit code on.
    const onTerminal = (env: NodeJS.ProcessEnv) =>
      runProgram(
        [
          'script',
          '-qec',
          `'${process.execPath}' '${builtEntry('cli/main.js')}' plan --state '${STATE}' --from-dump '${dump}'`,
          '/dev/null',
        ],
        { env },
      );
    const coloured = await onTerminal({ TERM: 'xterm' });
    expect(coloured.code).toBe(2);
    expect(coloured.stdout).toContain(`${ESC}32m  + chain filter PIC-FORWARD`);
    expect(coloured.stdout).toMatch(/\u001b\[0m\r?\n/);

    const noColour = await onTerminal({ TERM: 'xterm', NO_COLOR: '1' });
    expect(noColour.code).toBe(2);
    expect(noColour.stdout).toContain('  + chain filter PIC-FORWARD');
    expect(noColour.stdout).not.toContain(ESC);

    const piped = await plan([]);
    expect(piped.stdout).toContain('  + chain filter PIC-FORWARD');
    expect(piped.stdout).not.toContain(ESC);
  });

  it('validate --config with broken JSON: one line naming the file, line and column, exit 1', async () => {
    const bad = join(work, 'bad.json');
    await writeFile(bad, '{\n  "listen": "127.0.0.1:9470",\n  "api_port": 3000\n  "resync_seconds": 30\n}\n');
    expect(await runCli(['validate', '--state', STATE, '--config', bad])).toEqual({
      code: 1,
      stdout: '',
      stderr: `pic-reconciler: ${bad}: /: invalid JSON at line 4 column 3: Expected ',' or '}' after property value\n`,
    });
  });
});
