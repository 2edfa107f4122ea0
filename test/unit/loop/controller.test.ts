import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { controllerConfigSchema } from '../../../src/config/controller-config.js';
import type { LoadedState } from '../../../src/load/loaded-state.js';
import type { ControllerClock } from '../../../src/loop/controller-clock.js';
import { conditionOf } from '../../../src/status/controller-status.js';
import { Controller } from '../../../src/loop/controller.js';
import type { LastGoodMemory } from '../../../src/loop/last-good-store.js';
import { isRestoreCommand } from '../../../src/apply/apply-plan.js';
import { FakeClock, settle } from './fake-clock.js';
import { InMemoryCell } from './in-memory-cell.js';

const WALL_START = Date.parse('2026-12-02T06:00:00.000Z');

/** The runner's fake timers plus a wall clock and a monotonic clock that move with them. */
class FakeControllerClock extends FakeClock implements ControllerClock {
  date(): Date {
    return new Date(WALL_START + this.now());
  }
  monotonicMs(): number {
    return this.now();
  }
}

class MemoryStore implements LastGoodMemory {
  readonly readError = null;
  written: LoadedState[] = [];
  async read(): Promise<LoadedState | null> {
    return null;
  }
  async write(loaded: LoadedState): Promise<string | null> {
    this.written.push(loaded);
    return null;
  }
}

const VIPS = ['172.20.0.21', '172.20.0.22', '172.20.0.23', '172.20.0.24'].map((address) => ({
  address,
  prefixlen: 16,
  label: 'eth0:pic',
}));

const CELL = {
  kind: 'Cell',
  name: 'home',
  domain: 'cell',
  ip_range: '172.20.0.0/16',
  peer_subnet: '10.0.0.0/24',
  services: ['calendar', 'files', 'mail', 'webdav'],
  upstream_dns: ['8.8.8.8'],
  unknown_peers: 'drop',
};
const ALICE = {
  kind: 'Peer',
  name: 'alice',
  ip: '10.0.0.2',
  internet_access: true,
  service_access: ['calendar'],
  peer_access: false,
};

let work: string;
let stateDir: string;
let corefilePath: string;
let cell: InMemoryCell;
let clock: FakeControllerClock;
let store: MemoryStore;
let lines: Record<string, unknown>[];
let controller: Controller;

function metric(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (line === undefined) throw new Error(`no series ${series}`);
  return Number(line.slice(series.length + 1));
}

/** Moves the clock to the runner's due timer (time then stands still) and waits for the pass it starts. */
async function runPass(): Promise<void> {
  const done = controller.nextPass();
  await settle(); // the runner schedules a pass only once the previous one is marked finished
  const due = clock.nextDue();
  if (due === null) throw new Error('no pass is due');
  await clock.advance(due - clock.now());
  await done;
}

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'pict-controller-unit-'));
  stateDir = join(work, 'state');
  corefilePath = join(work, 'dns', 'Corefile');
  await mkdir(join(stateDir, 'peers'), { recursive: true });
  await mkdir(join(work, 'dns'));
  await writeFile(join(stateDir, 'cell.json'), JSON.stringify(CELL));
  await writeFile(join(stateDir, 'peers', 'alice.json'), JSON.stringify(ALICE));
  cell = new InMemoryCell(VIPS);
  clock = new FakeControllerClock();
  store = new MemoryStore();
  lines = [];
  let ids = 0;
  controller = new Controller({
    stateDir,
    config: controllerConfigSchema.parse({
      targets: { wireguard: 'netns:fake-wg', caddy: 'netns:fake-lan', api: 'ip:172.20.0.3', dns: 'none' },
      corefile: corefilePath,
      listen: '127.0.0.1:0',
      min_interval_ms: 100,
    }),
    targets: cell.targets(corefilePath),
    docker: null,
    containers: [],
    logger: pino(
      { level: 'debug' },
      { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    ),
    allowMassDelete: false,
    serveHttp: false,
    clock,
    newId: () => `pass-${++ids}`,
    store,
  });
});

afterEach(async () => {
  await controller.stop();
  await rm(work, { recursive: true, force: true });
});

describe('Controller, driven by a fake clock against an in-memory cell', () => {
  test('a startup pass converges the cell, and its report reaches /status, the metrics and the log', async () => {
    await clock.advance(5_000);
    await controller.start();
    expect(cell.wireguard.records).toEqual([]);
    await runPass();

    const status = controller.status();
    expect(conditionOf(status, 'Ready')).toMatchObject({ status: 'True', reason: 'Converged' });
    expect(conditionOf(status, 'StateValid')?.status).toBe('True');
    expect(status.counts).toEqual({ peers: 1, links: 0, services: 4 });
    expect(status.lastReconcile).toMatchObject({
      id: 'pass-1',
      triggers: ['startup'],
      startedAt: '2026-12-02T06:00:05.000Z',
      converged: true,
      errors: [],
    });
    expect(status.lastReconcile?.actions['create-chain']).toBeGreaterThan(0);
    expect(status.lastReconcile?.actions['write-corefile']).toBe(1);
    // Observe (the two-backend shell found no shell: plain iptables-save), one restore (the same), read back; the live tables hold the peer's chain.
    expect(cell.wireguard.records.map((r) => r.argv[0])).toEqual([
      'sh',
      'ip',
      'iptables-save',
      'sh',
      'iptables-restore',
      'sh',
      'iptables-save',
    ]);
    expect(cell.wireguard.records.filter((r) => isRestoreCommand(r.argv))).toHaveLength(2);
    expect([...cell.iptables.filter.chains.keys()].some((name) => name.startsWith('PIC-'))).toBe(true);
    expect(await readFile(corefilePath, 'utf8')).toContain('cell');
    expect(store.written).toHaveLength(1);

    const metrics = await controller.metrics.registry.metrics();
    expect(metric(metrics, 'pic_reconciles_total{result="converged",trigger="startup"}')).toBe(1);
    expect(metric(metrics, 'pic_actions_applied_total{kind="write-corefile"}')).toBe(1);
    expect(metric(metrics, 'pic_drift_repairs_total{kind="create-chain"}')).toBe(0);
    expect(metric(metrics, 'pic_ready')).toBe(1);
    expect(metric(metrics, 'pic_last_success_timestamp_seconds')).toBe((WALL_START + 5_000) / 1000);
    const converged = lines.find((l) => l['msg'] === 'reconcile converged');
    expect(converged).toMatchObject({ reconcile: 'pass-1', result: 'converged' });
    expect(lines.some((l) => l['msg'] === 'drift repaired')).toBe(false);
  });

  test('actions applied for an unchanged desired state count as drift repairs, each with a log line', async () => {
    await controller.start();
    await runPass();
    const name = cell.flushOwnedChain();

    controller.trigger('resync');
    await runPass();

    expect(controller.status().lastReconcile).toMatchObject({
      id: 'pass-2',
      triggers: ['resync'],
      converged: true,
      actions: { 'update-chain': 1 },
    });
    const metrics = await controller.metrics.registry.metrics();
    expect(metric(metrics, 'pic_drift_repairs_total{kind="update-chain"}')).toBe(1);
    expect(metric(metrics, 'pic_actions_applied_total{kind="update-chain"}')).toBe(1);
    expect(lines.filter((l) => l['msg'] === 'drift repaired')).toEqual([
      expect.objectContaining({ reconcile: 'pass-2', kind: 'update-chain', subject: `filter/${name}` }),
    ]);
    // The unchanged files load as the same state object: drift accounting compares desired states by identity.
    expect(store.written[1]?.state).toBe(store.written[0]?.state);
  });

  test("someone else's edit of the Corefile triggers a pass that writes ours back", async () => {
    await controller.start();
    await runPass();
    const ours = await readFile(corefilePath, 'utf8');
    await writeFile(corefilePath, `${ours}# edited by hand\n`);
    await expect.poll(() => clock.nextDue(), { timeout: 5_000 }).not.toBeNull();
    await runPass();

    expect(controller.status().lastReconcile).toMatchObject({
      id: 'pass-2',
      triggers: ['corefile'],
      converged: true,
      actions: { 'write-corefile': 1 },
    });
    expect(await readFile(corefilePath, 'utf8')).toBe(ours);
    expect(metric(await controller.metrics.registry.metrics(), 'pic_drift_repairs_total{kind="write-corefile"}')).toBe(
      1,
    );
  });

  test('a broken file keeps its last good version; the pass reports the file error', async () => {
    await controller.start();
    await runPass();
    const chainsBefore = formatChains(cell);
    await writeFile(join(stateDir, 'peers', 'alice.json'), '{ "kind": "Peer", ');
    controller.trigger('state');
    await runPass();

    const status = controller.status();
    expect(conditionOf(status, 'StateValid')).toMatchObject({ status: 'False', reason: 'FileErrors' });
    expect(status.fileErrors.map((issue) => issue.file)).toEqual(['peers/alice.json']);
    // alice keeps her last good version, so something is held back: not Ready, Degraded.
    expect(conditionOf(status, 'Ready')?.status).toBe('False');
    expect(conditionOf(status, 'Degraded')).toMatchObject({ status: 'True' });
    expect(status.heldBack.map((held) => held.file)).toEqual(['peers/alice.json']);
    expect(formatChains(cell)).toEqual(chainsBefore);
    expect(metric(await controller.metrics.registry.metrics(), 'pic_state_errors')).toBe(1);
    expect(lines.filter((l) => String(l['msg']).startsWith('state error: peers/alice.json'))).toHaveLength(1);
  });

  test('an empty state folder is held back by the guard and not retried', async () => {
    await rm(stateDir, { recursive: true });
    await mkdir(stateDir);
    await controller.start();
    await runPass();

    const status = controller.status();
    expect(conditionOf(status, 'Ready')).toMatchObject({ status: 'False', reason: 'MassDeleteGuard' });
    expect(status.massDeleteGuard.blocked).toBe(true);
    expect(cell.wireguard.records.map((r) => r.argv[0])).toEqual(['sh', 'ip', 'iptables-save']); // observed, nothing restored
    expect(clock.nextDue()).toBeNull(); // terminal: no retry scheduled
    expect(metric(await controller.metrics.registry.metrics(), 'pic_mass_delete_blocked')).toBe(1);
  });
});

function formatChains(c: InMemoryCell): string[] {
  return [...c.iptables.filter.chains.values()].map((chain) => `${chain.name}: ${chain.rules.join(' | ')}`);
}
