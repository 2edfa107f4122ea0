import { spawn } from 'node:child_process';
import { stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFileJson } from '../../src/config/controller-config.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import { cleanupNamespaces, nsRunOk, run, type RunResult } from '../../src/testbed/netns.js';
import { compareMatrix, probeMatrix } from '../../src/testbed/probe-matrix.js';
import { builtEntry } from '../helpers/build-dist.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { waitFor } from '../helpers/wait-for.js';
import { createTestbed, loadValidState, type TestbedFixture } from '../helpers/testbed.js';

/**
 * The CLI as an operator runs it (`node dist/cli/main.js`), against a namespace cell:
 * dry run, apply, plan, apply again. Idempotence is checked on the printed counts and on
 * the live ruleset, addresses and Corefile.
 */

const ready = requirePrerequisites(['root', 'iptables', 'ip']);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const STATE = join(REPO, 'state');

describe('CLI apply and plan on a namespace cell', () => {
  let state: DesiredState;
  let bed: TestbedFixture;
  let configFile = '';
  let cli = '';

  beforeAll(async () => {
    if (!ready.ok) return;
    // The CLI under test is the built one, rebuilt when a source file is newer.
    cli = builtEntry('cli/main.js');
    state = await loadValidState(STATE);
    bed = await createTestbed(state);
    configFile = join(bed.workDir, 'config.json');
    await writeFile(configFile, JSON.stringify(configFileJson(bed.config), null, 2));
  });
  afterAll(async () => {
    await bed?.dispose();
    await cleanupNamespaces();
  });

  const pic = (command: string, ...flags: string[]): Promise<RunResult> =>
    run([process.execPath, cli, command, '--state', STATE, '--config', configFile, ...flags]);
  // Without the banners (they carry a timestamp) and the chain counters (stray IGMP/ND packets move them).
  const ruleset = async (): Promise<string> =>
    (await nsRunOk(bed.cell.wg, ['iptables-save']))
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .map((l) => l.replace(/ \[\d+:\d+\]$/, ''))
      .join('\n');
  const addresses = (): Promise<string> => nsRunOk(bed.cell.lan, ['ip', '-4', '-br', 'addr', 'show', 'dev', 'eth0']);
  const routing = async (): Promise<string> =>
    `${await nsRunOk(bed.cell.wg, ['ip', '-4', 'rule'])}${await nsRunOk(bed.cell.wg, ['ip', '-4', 'route', 'show', 'table', 'all'])}`;
  const corefileTime = (): Promise<number | null> =>
    stat(bed.corefilePath).then(
      (s) => s.mtimeMs,
      () => null,
    );
  const snapshot = async () => ({
    ruleset: await ruleset(),
    addresses: await addresses(),
    routing: await routing(),
    corefile: await corefileTime(),
  });

  it('apply --dry-run prints the plan and changes nothing; plan exits 2', async () => {
    const before = await snapshot();
    const dry = await pic('apply', '--dry-run');
    // Which config it used, on stderr so that stdout stays the plan.
    expect(dry.stderr).toBe(`config: ${configFile} (--config)\n`);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('wireguard iptables:');
    expect(dry.stdout).toContain('+ chain filter PIC-FORWARD');
    expect(dry.stdout).toMatch(/Plan: \d+ to add, \d+ to change, \d+ to destroy\./);
    expect(dry.stdout).not.toContain('reconcile ');
    expect(await snapshot()).toEqual(before);
    expect(before.corefile).toBeNull();

    const plan = await pic('plan');
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('Plan: ');
    expect(await snapshot()).toEqual(before);
  });

  it('apply converges and writes each part once; then plan exits 0 and a second apply writes nothing', async () => {
    const first = await pic('apply');
    expect(first.stderr).toBe(`config: ${configFile} (--config)\n`);
    expect(first.code).toBe(0);
    // One restore, one ip batch each for wireguard routes and caddy VIPs, the Corefile and its reload.
    expect(first.stdout).toMatch(
      /reconcile [0-9a-f]{8}: converged \(1 restore, 2 ip batch, 1 file write, 1 signal\)\n$/,
    );
    expect(compareMatrix(state, await probeMatrix(state, bed.cell))).toEqual([]);

    const after = await snapshot();
    const plan = await pic('plan');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toBe('No changes. The cell matches the desired state.\n');

    const second = await pic('apply');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('No changes.');
    expect(second.stdout.trimEnd().split('\n').at(-1)).toMatch(
      /^reconcile [0-9a-f]{8}: converged \(0 restore, 0 ip batch, 0 file write, 0 signal\)$/,
    );
    // Nothing changed on the live cell either: same rules, addresses, routes, and the Corefile not rewritten.
    expect(await snapshot()).toEqual(after);

    const json = await pic('plan', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ summary: { add: 0, change: 0, destroy: 0 }, actions: [] });

    const applied = await pic('apply', '--json');
    expect(applied.code).toBe(0);
    expect(applied.stderr).toBe(`config: ${configFile} (--config)\n`);
    expect(JSON.parse(applied.stdout)).toMatchObject({
      reconcile: expect.stringMatching(/^[0-9a-f]{8}$/),
      dryRun: false,
      converged: true,
      plan: { summary: { add: 0, change: 0, destroy: 0 }, actions: [] },
      residual: null,
      counts: { restores: 0, ipBatches: 0, fileWrites: 0, signals: 0 },
      errors: [],
    });
  });

  it('apply --dry-run --json prints the pending plan as one document', async () => {
    await nsRunOk(bed.cell.wg, ['iptables', '-F', 'PIC-FORWARD']);
    const dry = await pic('apply', '--dry-run', '--json');
    expect(dry.code).toBe(0);
    const document = JSON.parse(dry.stdout) as {
      dryRun: boolean;
      plan: { actions: { kind: string; chain?: string }[] };
    };
    expect(document.dryRun).toBe(true);
    expect(document.plan.actions).toEqual([expect.objectContaining({ kind: 'update-chain', chain: 'PIC-FORWARD' })]);
    expect((await pic('apply')).code).toBe(0);
  });

  it('status --json asks the running controller and prints its status as one document', async () => {
    const listen = `127.0.0.1:${await freePort()}`;
    const controller = spawn(
      process.execPath,
      [cli, 'run', '--state', STATE, '--config', configFile, '--listen', listen],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) => controller.once('exit', resolve));
    try {
      const status = await waitFor(
        'a ready controller',
        async () => {
          const result = await run([process.execPath, cli, 'status', '--listen', listen, '--json']);
          return result.code === 0 ? result : null;
        },
        20_000,
      );
      expect(status.stderr).toBe('');
      const document = JSON.parse(status.stdout) as { conditions: { type: string; status: string }[] };
      expect(document.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'True' }));
    } finally {
      controller.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const gone = await run([process.execPath, cli, 'status', '--listen', listen, '--json']);
    expect(gone).toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(new RegExp(`^pic-reconciler: no controller answers on ${listen}: `)),
    });
  });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
