import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFileJson } from '../../src/config/controller-config.js';
import { bareCellController, createBareCell, type BareCell } from '../../src/testbed/bare-cell.js';
import { cleanupNamespaces, nsRunOk, run } from '../../src/testbed/netns.js';
import { builtEntry } from '../helpers/build-dist.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';

/** A state whose AccessTests fail is refused by validate, plan, apply and run, and nothing is written. */
const ready = requirePrerequisites(['root', 'iptables', 'ip']);
const REPO = fileURLToPath(new URL('../../', import.meta.url));

const FAILING = [
  { kind: 'AccessTest', name: 'bob-no-mail', from: 'bob', to: 'mail', expect: 'deny' },
  { kind: 'AccessTest', name: 'bob-files', from: 'bob', to: 'files', expect: 'allow' },
];
const FAILURES = [
  'tests/bob.json: /0/expect: bob → mail: expected deny, rendered rules accept at PIC-PEER-10-0-0-3 rule 3 (peers/bob.json /service_access/1)',
  'tests/bob.json: /1/expect: bob → files: expected allow, rendered rules drop at PIC-PEER-10-0-0-3 rule 2 (peers/bob.json /service_access)',
];

describe('AccessTests gate every apply', () => {
  let dir = '';
  let stateDir = '';
  let cli = '';

  beforeAll(async () => {
    cli = builtEntry('cli/main.js');
    dir = await mkdtemp(join(tmpdir(), 'pict-access-'));
    stateDir = join(dir, 'state');
    await cp(join(REPO, 'state'), stateDir, { recursive: true });
    await writeFile(join(stateDir, 'tests', 'bob.json'), JSON.stringify(FAILING));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('validate prints one line per failing test, naming file, pointer, expectation and the deciding rule', async () => {
    const result = await run([process.execPath, cli, 'validate', '--state', stateDir]);
    expect(result.code).toBe(1);
    // The CLI names files from the state folder as given.
    expect(result.stderr.split('\n').slice(0, 2)).toEqual(FAILURES.map((line) => `${stateDir}/${line}`));
    expect(result.stderr).toContain('invalid (2 errors)');
  });

  it('validate reports a test naming a missing peer or service as a validation error', async () => {
    const ghost = join(dir, 'ghost');
    await cp(join(REPO, 'state'), ghost, { recursive: true });
    await writeFile(
      join(ghost, 'tests', 'ghost.json'),
      JSON.stringify([
        { kind: 'AccessTest', name: 'g', from: 'bob', to: 'ftp', expect: 'deny' },
        { kind: 'AccessTest', name: 'h', from: 'cell:rome', to: 'mail', expect: 'deny' },
      ]),
    );
    const result = await run([process.execPath, cli, 'validate', '--state', ghost]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('tests/ghost.json: /0/to: no service or Peer named ftp');
    expect(result.stderr).toContain('tests/ghost.json: /1/from: no CellLink named rome');
  });

  it('plan refuses the state (exit 1)', async () => {
    const result = await run([
      process.execPath,
      cli,
      'plan',
      '--state',
      stateDir,
      '--from-dump',
      join(REPO, 'test/fixtures/access/foreign-cell'),
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(FAILURES[0]);
    expect(result.stderr).toContain('2 access tests fail; nothing applied');
  });

  describe('on a namespace cell', () => {
    let cell: BareCell;
    beforeAll(async () => {
      if (!ready.ok) return;
      cell = await createBareCell();
    });
    afterAll(async () => {
      await cell?.dispose();
      await cleanupNamespaces();
    });
    const owned = async () => (await nsRunOk(cell.wg, ['iptables-save'])).split('\n').filter((l) => l.includes('PIC-'));

    it('apply refuses it and writes nothing', async () => {
      const config = join(cell.workDir, 'config.json');
      await writeFile(config, JSON.stringify(configFileJson(cell.config)));
      const result = await run([process.execPath, cli, 'apply', '--state', stateDir, '--config', config]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(FAILURES[1]);
      expect(await owned()).toEqual([]);
    });

    it('run does not apply it: Ready is False and the status names the failing tests', async () => {
      await cp(stateDir, cell.stateDir, { recursive: true });
      const controller = bareCellController(cell);
      const passed = controller.nextPass();
      await controller.start();
      try {
        await passed;
        const ready = controller.status().conditions.find((c) => c.type === 'Ready');
        expect(ready?.status).toBe('False');
        expect(ready?.message).toContain(FAILURES[0]);
        expect(await owned()).toEqual([]);
      } finally {
        await controller.stop();
      }
    });
  });
});
