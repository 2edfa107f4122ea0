/**
 * `apply --confirm-within` and `confirm` with the built CLI on a namespace cell, as an operator
 * runs them: without a confirmation the live cell is byte for byte what it was; `confirm` from
 * another process keeps the new state; SIGHUP (with stdin at end of file) and SIGTERM never
 * cancel the rollback; `run` is refused while a window is open, and a window cannot open while
 * `run` holds the cell; a SIGKILLed window is rolled back by the next writer.
 */
import { configFileJson } from '../../src/config/controller-config.js';
import { locatorText } from '../../src/model/locator.js';
import type { ChildProcess } from 'node:child_process';
import { access, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { reconcileCell } from '../../src/pass/reconcile-cell.js';
import { MARKER_FILE } from '../../src/rollback/window-marker.js';
import { builtEntry } from '../helpers/build-dist.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { runCli, runProgram, startNode, type Started } from '../helpers/run-cli.js';
import { liveCell, useTestbed } from '../helpers/testbed.js';

const ready = requirePrerequisites(['root', 'iptables', 'ip']);

/** The announcement of a window of `seconds`. */
const windowLine = (seconds: number): RegExp =>
  new RegExp(`confirm within ${seconds} s with \`[^\`]+\`\\. The window closes at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z`);
/** Tests that wait the window out use the shortest one; tests that end it themselves a long one, so load cannot close it first. */
const SHORT = 5;
const LONG = 60;
const WINDOW_LINE = windowLine(SHORT);
const LONG_WINDOW_LINE = windowLine(LONG);

describe('apply --confirm-within and confirm on a namespace cell', () => {
  let entry = '';
  let oldDir = '';
  let newDir = '';
  let configPath = '';
  let statusDir = '';
  let before: Record<string, string | null>;
  const started: ChildProcess[] = [];

  const live = (): Promise<Record<string, string | null>> => liveCell(t.bed);
  const markerExists = (): Promise<boolean> =>
    access(join(statusDir, MARKER_FILE)).then(
      () => true,
      () => false,
    );
  const applyWindow = (stdin: 'ignore' | 'pipe' = 'ignore', seconds = SHORT): Started => {
    const s = startNode(
      entry,
      ['apply', '--state', newDir, '--config', configPath, '--confirm-within', String(seconds)],
      stdin,
    );
    started.push(s.child);
    return s;
  };

  const t = useTestbed(ready, 'state', {
    setup: async ({ bed }) => {
      entry = builtEntry('cli/main.js');
      oldDir = join(bed.workDir, 'state-old');
      newDir = join(bed.workDir, 'state-new');
      await cp('state', oldDir, { recursive: true });
      await cp('state', newDir, { recursive: true });
      // The new state changes every part: filter rules (bob), policy rules and routes (carol's exit), a VIP and the Corefile (a service).
      const edit = async (file: string, change: (json: Record<string, unknown>) => void): Promise<void> => {
        const json = JSON.parse(await readFile(join(newDir, file), 'utf8')) as Record<string, unknown>;
        change(json);
        await writeFile(join(newDir, file), JSON.stringify(json));
      };
      await edit('peers/bob.json', (j) => (j.internet_access = true));
      await edit('peers/carol.json', (j) => delete j.route_via);
      await edit('cell.json', (j) => (j.services = [...(j.services as string[]), 'photos']));
      statusDir = join(bed.workDir, 'status');
      configPath = join(bed.workDir, 'config.json');
      await writeFile(
        configPath,
        JSON.stringify({ ...configFileJson(bed.config), status_dir: statusDir, resync_seconds: 3_600 }),
      );
    },
    teardown: () => {
      for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    timeoutMs: 120_000,
  });
  beforeEach(async () => {
    if (!ready.ok) return;
    expect((await reconcileCell(t.state, t.bed.targets, t.bed.layout)).converged).toBe(true);
    before = await live();
  });

  it('without a confirmation restores the old cell byte for byte when the window closes, exit 3', async () => {
    const w = applyWindow();
    await w.line(WINDOW_LINE);
    const during = await live();
    for (const part of ['iptables', 'rules', 'routes', 'addresses', 'corefile'])
      expect(during[part], part).not.toBe(before[part]);
    expect(await markerExists()).toBe(true);
    const { code, stderr } = await w.exited;
    expect(stderr).toContain(`\`pic-reconciler confirm --state ${newDir} --config ${configPath}\``);
    expect(stderr).toContain('not confirmed in time: restoring the previous state');
    expect(stderr).toContain('restored and verified');
    expect(code).toBe(3);
    expect(await live()).toEqual(before);
    expect(await markerExists()).toBe(false);
  });

  it('keeps the new state when `confirm` comes from another process; a second confirm has nothing to confirm', async () => {
    const w = applyWindow('ignore', LONG);
    await w.line(LONG_WINDOW_LINE);
    const during = await live();
    const confirmed = await runCli(['confirm', '--state', newDir, '--config', configPath]);
    expect(confirmed).toMatchObject({ code: 0, stdout: expect.stringContaining('confirmed: the apply of') });
    const { code, stderr } = await w.exited;
    expect(stderr).toContain('confirmed: the new state stays');
    expect(code).toBe(0);
    expect(await live()).toEqual(during);
    expect(await markerExists()).toBe(false);
    const again = await runCli(['confirm', '--state', newDir, '--config', configPath]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^pic-reconciler: nothing to confirm: no confirm window is open in .*\n$/);
  });

  it('a status folder that cannot take the armed marker (read-only, full): exit 1 with one line, nothing applied', async () => {
    await mkdir(statusDir, { recursive: true });
    // Each fault in the CLI's own mount namespace: nothing outside it sees the mount.
    const faults = {
      'read-only': 'mount -t tmpfs -o ro tmpfs "$0" && exec "$@"',
      full: 'mount -t tmpfs -o size=64k tmpfs "$0" && { cat /dev/zero > "$0/fill" 2>/dev/null; exec "$@"; }',
    };
    for (const [fault, mount] of Object.entries(faults)) {
      const argv = ['apply', '--state', newDir, '--config', configPath, '--confirm-within', String(LONG)];
      const result = await runProgram([
        ...['unshare', '-m', '--propagation', 'private', 'sh', '-c', mount, statusDir],
        ...[process.execPath, entry, ...argv],
      ]);
      // Past the line naming the config file, one line: what failed, and that nothing changed.
      const lines = result.stderr
        .trim()
        .split('\n')
        .filter((line) => !line.startsWith('config: '));
      expect(lines, fault).toEqual([
        expect.stringMatching(
          /^pic-reconciler: could not record the confirm window in .* \((EROFS|ENOSPC)\): nothing was applied$/,
        ),
      ]);
      expect(result.code, fault).toBe(1);
      expect(await live(), fault).toEqual(before);
    }
  });

  it('SIGHUP and standard input at end of file neither confirm nor cancel: the window still rolls back', async () => {
    const w = applyWindow('pipe');
    await w.line(WINDOW_LINE);
    w.child.stdin?.end('y\n');
    w.child.kill('SIGHUP');
    const { code, stderr } = await w.exited;
    expect(stderr).toContain('SIGHUP: the terminal is gone');
    expect(stderr).toContain('not confirmed in time');
    expect(code).toBe(3);
    expect(await live()).toEqual(before);
  });

  it('SIGTERM during the window rolls back at once, then exits 3', async () => {
    const w = applyWindow('ignore', LONG);
    await w.line(LONG_WINDOW_LINE);
    const t0 = performance.now();
    w.child.kill('SIGTERM');
    const { code, stderr } = await w.exited;
    expect(stderr).toContain('terminated: restoring the previous state');
    expect(code).toBe(3);
    // At once: well inside the 60 s window it would otherwise have waited out.
    expect(performance.now() - t0).toBeLessThan(20_000);
    expect(await live()).toEqual(before);
    expect(await markerExists()).toBe(false);
  });

  it('SIGTERM once the window is armed, before it is announced (during the apply), still rolls back', async () => {
    const w = applyWindow();
    await w.line(/^confirm window: snapshot taken .*; applying/m);
    w.child.kill('SIGTERM');
    const { code, stderr } = await w.exited;
    expect(stderr).toContain('terminated: restoring the previous state');
    expect(code).toBe(3);
    expect(await live()).toEqual(before);
    expect(await markerExists()).toBe(false);
  });

  it('while a window is open: run and apply are refused naming it, confirm for another cell answers nothing', async () => {
    const w = applyWindow('ignore', LONG);
    await w.line(LONG_WINDOW_LINE);
    const run = await runCli(['run', '--state', oldDir, '--config', configPath]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(`^pic-reconciler: a confirm window is open \\(pid ${w.child.pid}, closes at [^)]+\\)`),
    );
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    const apply = await runCli(['apply', '--state', oldDir, '--config', configPath]);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain(`a confirm window is open (pid ${w.child.pid}`);
    const otherConfig = join(t.bed.workDir, 'config-other.json');
    await writeFile(
      otherConfig,
      JSON.stringify({
        ...configFileJson(t.bed.config),
        status_dir: statusDir,
        targets: { ...configFileJson(t.bed.config).targets, wireguard: `netns:pict-${process.pid}-other` },
      }),
    );
    const other = await runCli(['confirm', '--state', newDir, '--config', otherConfig]);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(
      `nothing to confirm for netns:pict-${process.pid}-other: the window in ${statusDir} is of cell ${locatorText(t.bed.config.targets.wireguard)}`,
    );
    w.child.kill('SIGTERM');
    expect((await w.exited).code).toBe(3);
    expect(await live()).toEqual(before);
  });

  it('apply --confirm-within is refused while run holds the cell, and opens no window', async () => {
    const run = startNode(entry, ['run', '--state', oldDir, '--config', configPath]);
    started.push(run.child);
    let out = '';
    await new Promise<void>((done) =>
      run.child.stdout?.on(
        'data',
        (chunk: Buffer) => /"msg":"reconcile converged"/.test((out += chunk.toString())) && done(),
      ),
    );
    const apply = await runCli(['apply', '--state', newDir, '--config', configPath, '--confirm-within', String(LONG)]);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain(`another writer holds this cell: pid ${run.child.pid} (`);
    expect(apply.stdout).toBe('');
    expect(await markerExists()).toBe(false);
    expect(await live()).toEqual(before);
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
  });

  it('after SIGKILL the marker stays, confirm says the process is gone, and the next apply rolls the window back first', async () => {
    const w = applyWindow('ignore', LONG);
    await w.line(LONG_WINDOW_LINE);
    w.child.kill('SIGKILL');
    await w.exited;
    expect(await markerExists()).toBe(true);
    const confirmed = await runCli(['confirm', '--state', newDir, '--config', configPath]);
    expect(confirmed.code).toBe(1);
    expect(confirmed.stderr).toContain('(the process is gone); the next run or apply rolls it back');
    // The old state on the rolled-back cell: the apply itself has nothing left to write.
    const next = await runCli(['apply', '--state', oldDir, '--config', configPath]);
    expect(next.stderr).toContain('the one left open by a process that is gone was rolled back to its snapshot first');
    expect(next.stdout).toContain('converged (0 restore, 0 ip batch, 0 file write, 0 signal)');
    expect(next.code).toBe(0);
    expect(await live()).toEqual(before);
    expect(await markerExists()).toBe(false);
  });
});

describe('apply --confirm-within: bad values', () => {
  // Targets that cannot exist: should a flag check ever regress, nothing real is reached.
  let work = '';
  let config = '';
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'pict-confirm-flags-'));
    config = join(work, 'config.json');
    const absent = `netns:pict-${process.pid}-absent`;
    await writeFile(
      config,
      JSON.stringify({
        targets: { wireguard: absent, caddy: absent, api: 'ip:172.20.0.3', dns: 'none' },
        corefile: join(work, 'Corefile'),
        status_dir: work,
      }),
    );
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });
  it.each([
    [['--confirm-within', '4'], '--confirm-within 4: must be 5 to 3600 seconds'],
    [['--confirm-within', '3601'], '--confirm-within 3601: must be 5 to 3600 seconds'],
    [['--confirm-within', '1e3'], '--confirm-within 1e3: expected whole seconds, 5 to 3600'],
    [['--confirm-within', '30', '--dry-run'], '--confirm-within and --dry-run cannot go together'],
  ])('%j is one line on stderr and exit 1', async (flags, message) => {
    const result = await runCli(['apply', '--state', 'state', '--config', config, ...flags]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      new RegExp(`^pic-reconciler: ${message.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}[^\n]*\n$`),
    );
  });
});
