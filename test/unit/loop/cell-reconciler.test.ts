import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { controllerConfigSchema } from '../../../src/config/controller-config.js';
import { CellReconciler } from '../../../src/loop/cell-reconciler.js';
import { LastGoodStore, type LastGoodMemory } from '../../../src/loop/last-good-store.js';
import { StateFileCache } from '../../../src/loop/state-file-cache.js';
import { HOME_CELL as CELL, HOME_VIPS as VIPS, InMemoryCell } from './in-memory-cell.js';

let work: string;
let cell: InMemoryCell;
let reconciler: CellReconciler;
let time: number;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'pict-reconciler-unit-'));
  await mkdir(join(work, 'state', 'peers'), { recursive: true });
  await writeFile(join(work, 'state', 'cell.json'), JSON.stringify(CELL));
  await writeFile(
    join(work, 'state', 'peers', 'bob.json'),
    JSON.stringify({ kind: 'Peer', name: 'bob', ip: '10.0.0.3' }),
  );
  cell = new InMemoryCell(VIPS);
  time = 1_000;
  reconciler = reconcilerWith({
    read: async () => null,
    write: async () => 'status folder read-only',
    readError: null,
  });
});

/** A reconciler of the cell and the state folder, as one controller process has it. */
function reconcilerWith(store: LastGoodMemory): CellReconciler {
  return new CellReconciler({
    config: controllerConfigSchema.parse({
      targets: { wireguard: 'netns:fake-wg', caddy: 'netns:fake-lan', api: 'ip:172.20.0.3', dns: 'none' },
      corefile: join(work, 'Corefile'),
    }),
    targets: cell.targets(join(work, 'Corefile')),
    files: new StateFileCache(join(work, 'state')),
    store,
    allowMassDelete: false,
    // Each reading of the clock moves it on by 5 ms.
    clock: { date: () => new Date(Date.UTC(2026, 11, 2)), monotonicMs: () => (time += 5) },
  });
}

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('CellReconciler', () => {
  test('one pass returns its whole story as a report', async () => {
    const report = await reconciler.reconcile({ id: 'r1', triggers: ['startup', 'state'] });

    expect(report).toMatchObject({
      id: 'r1',
      triggers: ['startup', 'state'],
      startedAt: new Date(Date.UTC(2026, 11, 2)),
      result: 'converged',
      message: '',
      unreachable: [],
      counts: { peers: 1, links: 0, services: 2 },
      guard: null,
      load: { issues: [], fallbackFiles: [], unresolvedFiles: [] },
      driftRepaired: false,
      errors: [],
      storeError: 'status folder read-only',
    });
    expect(report.durationMs).toBeGreaterThan(0);
    expect(report.applied.map((a) => a.kind)).toContain('write-corefile');
    expect(report.renderedCorefile).toContain('cell');
    expect(report.work?.planned).toBe(report.applied.length);
  });

  test('a second pass over an unchanged cell applies nothing; a state folder gone keeps every last good resource', async () => {
    await reconciler.reconcile({ id: 'r1', triggers: ['startup'] });
    const again = await reconciler.reconcile({ id: 'r2', triggers: ['resync'] });
    expect(again).toMatchObject({ result: 'converged', applied: [], driftRepaired: false });

    await rm(join(work, 'state'), { recursive: true });
    const gone = await reconciler.reconcile({ id: 'r3', triggers: ['state'] });
    // Every resource is kept from its last good version: nothing changes, and the pass says what is held back.
    expect(gone).toMatchObject({ result: 'degraded', applied: [], counts: { peers: 1, links: 0, services: 2 } });
    expect(gone.heldBack?.length).toBeGreaterThan(0);
    expect(gone.load?.issues).toHaveLength(1);
  });

  test('the startup pass of a restarted controller tells what it wrote back for the remembered state as drift', async () => {
    const status = join(work, 'status');
    await reconcilerWith(new LastGoodStore(status)).reconcile({ id: 'r1', triggers: ['startup'] });
    // Someone empties one of our chains while no controller runs.
    const chain = cell.flushOwnedChain();

    const restarted = reconcilerWith(new LastGoodStore(status));
    expect(await restarted.restore()).toBeGreaterThan(0);
    const startup = await restarted.reconcile({ id: 'r2', triggers: ['startup'] });
    expect(startup).toMatchObject({ result: 'converged', driftRepaired: true });
    expect(startup.applied.map((a) => ('chain' in a ? `${a.kind} ${a.chain}` : a.kind))).toEqual([
      `update-chain ${chain}`,
    ]);
  });

  test('what a restarted controller applies for files changed while it was down is no drift', async () => {
    const status = join(work, 'status');
    await reconcilerWith(new LastGoodStore(status)).reconcile({ id: 'r1', triggers: ['startup'] });
    await writeFile(
      join(work, 'state', 'peers', 'bob.json'),
      JSON.stringify({ kind: 'Peer', name: 'bob', ip: '10.0.0.3', internet_access: false }),
    );

    const restarted = reconcilerWith(new LastGoodStore(status));
    await restarted.restore();
    const startup = await restarted.reconcile({ id: 'r2', triggers: ['startup'] });
    expect(startup.result).toBe('converged');
    expect(startup.applied.length).toBeGreaterThan(0);
    expect(startup.driftRepaired).toBe(false);
  });
});
