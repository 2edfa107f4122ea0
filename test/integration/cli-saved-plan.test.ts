/**
 * The saved plan with the built CLI on a namespace cell: `plan --out FILE` → `apply FILE` applies
 * exactly the reviewed actions; a state file or a PIC chain that moved in between makes `apply FILE`
 * refuse with one line and write nothing (the live cell byte for byte as it was); `show FILE` prints
 * what `plan` printed; a damaged file is one line naming the file and the field; the confirm window
 * works with a plan file.
 */
import { access, cp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configFileJson } from '../../src/config/controller-config.js';
import { MARKER_FILE } from '../../src/rollback/window-marker.js';
import { nsRunOk, type RunResult } from '../../src/testbed/netns.js';
import { builtEntry } from '../helpers/build-dist.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { runCli, startNode } from '../helpers/run-cli.js';
import { liveCell, useTestbed } from '../helpers/testbed.js';

const ready = requirePrerequisites(['root', 'iptables', 'ip']);

describe('plan --out, apply FILE and show FILE on a namespace cell', () => {
  let stateDir = '';
  let configPath = '';
  let planPath = '';
  let bobText = '';

  const t = useTestbed(ready, 'state', {
    setup: async ({ bed }) => {
      builtEntry('cli/main.js');
      stateDir = join(bed.workDir, 'state');
      await cp('state', stateDir, { recursive: true });
      bobText = await readFile(join(stateDir, 'peers/bob.json'), 'utf8');
      configPath = join(bed.workDir, 'config.json');
      await writeFile(configPath, JSON.stringify({ ...configFileJson(bed.config), resync_seconds: 3_600 }));
      planPath = join(bed.workDir, 'cell.plan');
    },
    timeoutMs: 120_000,
  });
  afterEach(async () => {
    if (!ready.ok) return;
    await writeFile(join(stateDir, 'peers/bob.json'), bobText);
    await rm(planPath, { force: true });
  });

  const pic = (command: string, ...args: string[]): Promise<RunResult> =>
    runCli([command, ...args, '--config', configPath]);
  const planOut = (...flags: string[]): Promise<RunResult> =>
    pic('plan', '--state', stateDir, '--out', planPath, ...flags);
  const editBob = async (change: (json: Record<string, unknown>) => void): Promise<void> => {
    const json = JSON.parse(await readFile(join(stateDir, 'peers/bob.json'), 'utf8')) as Record<string, unknown>;
    change(json);
    await writeFile(join(stateDir, 'peers/bob.json'), JSON.stringify(json));
  };
  /** The refusal: the config line apply always prints, then exactly one error line. */
  const expectRefused = (result: RunResult, line: string): void => {
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`config: ${configPath} (--config)\npic-reconciler: ${line}\n`);
  };

  it('plan --out then apply FILE converges; show FILE prints what plan printed; --json prints the file', async () => {
    const planned = await planOut();
    expect(planned.code).toBe(2);
    expect(planned.stdout).toContain('+ chain filter PIC-FORWARD');
    expect(planned.stderr).toContain(`saved the plan to ${planPath}; apply exactly these actions with`);
    expect((await stat(planPath)).mode & 0o777).toBe(0o600);

    const shown = await runCli(['show', planPath]);
    expect(shown).toEqual({ code: 0, stdout: planned.stdout, stderr: '' });

    const json = await planOut('--json');
    expect(json.code).toBe(2);
    expect(json.stdout).toBe(await readFile(planPath, 'utf8'));
    const document = JSON.parse(json.stdout) as { format: string; state: { files: Record<string, string> } };
    expect(document.format).toBe('pic-reconciler-plan');
    expect(Object.keys(document.state.files)).toContain('peers/bob.json');
    expect(JSON.parse((await runCli(['show', planPath, '--json'])).stdout)).toEqual(document);

    const applied = await pic('apply', planPath);
    expect(applied.stderr).toBe(`config: ${configPath} (--config)\n`);
    expect(applied.code).toBe(0);
    // The reviewed actions, then the outcome.
    expect(applied.stdout.startsWith(planned.stdout)).toBe(true);
    expect(applied.stdout.slice(planned.stdout.length)).toMatch(/^reconcile [0-9a-f]{8}: converged \(1 restore, /);
    expect((await pic('plan', '--state', stateDir)).code).toBe(0);
  });

  it('a state file edited after the plan: apply FILE refuses naming it and writes nothing', async () => {
    await editBob((j) => (j.internet_access = true));
    expect((await planOut()).code).toBe(2);
    await editBob((j) => (j.peer_access = false));
    const before = await liveCell(t.bed);
    expectRefused(await pic('apply', planPath), 'state changed since the plan: peers/bob.json; nothing applied');
    expect(await liveCell(t.bed)).toEqual(before);
  });

  it('a foreign rule appended to a PIC chain after the plan: apply FILE refuses naming the chain and writes nothing', async () => {
    await editBob((j) => (j.internet_access = true));
    expect((await planOut()).code).toBe(2);
    const foreign = ['-s', '192.0.2.7/32', '-j', 'ACCEPT'];
    await nsRunOk(t.bed.cell.wg, ['iptables', '-A', 'PIC-FORWARD', ...foreign]);
    try {
      const before = await liveCell(t.bed);
      const line = 'live cell changed since the plan: filter PIC-FORWARD; nothing applied';
      expectRefused(await pic('apply', planPath), line);
      // With a confirm window asked for, none is opened: the refusal comes before the snapshot.
      expectRefused(await pic('apply', planPath, '--confirm-within', '60'), line);
      await expect(access(join(t.bed.config.status_dir ?? '', MARKER_FILE))).rejects.toThrow(/ENOENT/);
      expect(await liveCell(t.bed)).toEqual(before);
    } finally {
      await nsRunOk(t.bed.cell.wg, ['iptables', '-D', 'PIC-FORWARD', ...foreign]);
    }
  });

  it('a damaged or foreign plan file is one line naming the file and the field, for apply and show', async () => {
    await editBob((j) => (j.internet_access = true));
    expect((await planOut()).code).toBe(2);
    const document = JSON.parse(await readFile(planPath, 'utf8')) as { plan: { actions: { table?: string }[] } };
    const first = document.plan.actions[0];
    if (first === undefined) throw new Error('the plan has no action');
    first.table = 'mangle';
    const damaged = join(t.bed.workDir, 'damaged.plan');
    await writeFile(damaged, JSON.stringify(document));
    const truncated = join(t.bed.workDir, 'truncated.plan');
    await writeFile(truncated, (await readFile(planPath, 'utf8')).slice(0, 100));
    const foreign = join(t.bed.workDir, 'foreign.plan');
    await writeFile(foreign, JSON.stringify({ format_version: 1, actions: [] }));
    const cases: [string, RegExp][] = [
      [damaged, new RegExp(`^pic-reconciler: ${damaged}: /plan/actions/0/table: [^\\n]+\\n$`)],
      [truncated, new RegExp(`^pic-reconciler: ${truncated}: /: not a plan file: [^\\n]+\\n$`)],
      [foreign, new RegExp(`^pic-reconciler: ${foreign}: /format: not a plan file [^\\n]+\\n$`)],
      [join(t.bed.workDir, 'absent.plan'), /^pic-reconciler: [^\n]*absent\.plan: cannot read: ENOENT\n$/],
    ];
    const before = await liveCell(t.bed);
    for (const [file, stderr] of cases) {
      for (const args of [
        ['apply', file, '--config', configPath],
        ['show', file],
      ]) {
        const result = await runCli(args);
        expect({ args, ...result }).toMatchObject({ args, code: 1, stdout: '', stderr: expect.stringMatching(stderr) });
      }
    }
    expect(await liveCell(t.bed)).toEqual(before);
  });

  it('an action edited by hand, or another config, is refused; --dry-run checks and prints the plan, writing nothing', async () => {
    await editBob((j) => (j.internet_access = true));
    const planned = await planOut();
    expect(planned.code).toBe(2);
    const before = await liveCell(t.bed);
    const dry = await pic('apply', planPath, '--dry-run');
    expect(dry).toMatchObject({ code: 0, stdout: planned.stdout });
    const document = JSON.parse(await readFile(planPath, 'utf8')) as { plan: { actions: { reason: string }[] } };
    for (const action of document.plan.actions) action.reason = 'looks harmless';
    const edited = join(t.bed.workDir, 'edited.plan');
    await writeFile(edited, JSON.stringify(document));
    expectRefused(
      await pic('apply', edited),
      'the saved actions are not what this pic-reconciler plans from the same state and cell (an edited file, or another version); plan again; nothing applied',
    );
    const otherConfig = join(t.bed.workDir, 'config-other.json');
    await writeFile(otherConfig, JSON.stringify({ ...configFileJson(t.bed.config), api_port: 3001 }));
    const other = await runCli(['apply', planPath, '--config', otherConfig]);
    expect(other).toMatchObject({ code: 1, stdout: '' });
    expect(other.stderr).toBe(
      `config: ${otherConfig} (--config)\npic-reconciler: config changed since the plan: api_port; nothing applied\n`,
    );
    expect(await liveCell(t.bed)).toEqual(before);
  });

  it('apply FILE --confirm-within: confirmed from another process, the planned state stays', async () => {
    await editBob((j) => (j.internet_access = true));
    expect((await planOut()).code).toBe(2);
    const w = startNode(builtEntry('cli/main.js'), [
      'apply',
      planPath,
      '--config',
      configPath,
      '--confirm-within',
      '60',
    ]);
    await w.line(/confirm within 60 s with `[^`]+`/);
    const confirmed = await runCli(['confirm', '--state', stateDir, '--config', configPath]);
    expect(confirmed.code).toBe(0);
    const { code, stdout, stderr } = await w.exited;
    expect(stderr).toContain('confirmed: the new state stays');
    expect(stdout).toContain('PIC-PEER-10-0-0-3');
    expect(code).toBe(0);
    expect((await pic('plan', '--state', stateDir)).code).toBe(0);
  });
});
