import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { openCellTargets } from '../../src/targets/open-cell-targets.js';
import { configFileJson, controllerConfigSchema } from '../../src/config/controller-config.js';
import { reconcileCell } from '../../src/pass/reconcile-cell.js';
import { trackingReloads } from '../../src/targets/dns-reloader.js';
import type { CellTargets } from '../../src/model/cell-targets.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import { ProgramNotFoundError, type Target } from '../../src/model/target.js';
import { nsRunOk } from '../../src/testbed/netns.js';
import { compareMatrix, probeMatrix } from '../../src/testbed/probe-matrix.js';
import {
  buildTestImage,
  containerName,
  ensureDockerDaemon,
  removeTestContainers,
  startTestContainer,
  stopTestContainer,
} from '../helpers/docker.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { liveRules, useTestbed } from '../helpers/testbed.js';

/**
 * Faults on real parts (DESIGN §6): a transaction the kernel refuses, a missing or stopped
 * container, and an apply that reports success but changed nothing (so verify must catch it).
 * The cell is a namespace testbed; the broken caddy roles are real Docker containers, or none.
 */

const ready = requirePrerequisites(['root', 'iptables', 'ip', 'dockerd', 'busybox']);
const DAVE_CHAIN = 'PIC-PEER-10-0-0-10';

describe('apply failures on a namespace cell', () => {
  let stopped = '';

  // Before the testbed's beforeAll: vitest runs a suite's beforeAll hooks in the order they are registered.
  beforeAll(async () => {
    if (!ready.ok) return;
    await ensureDockerDaemon();
    const image = await buildTestImage();
    stopped = await startTestContainer({ role: 'stopped-caddy', image });
    await stopTestContainer(stopped);
  });
  const t = useTestbed(ready, 'state', {
    setup: async ({ state, bed }) => {
      const first = await reconcileCell(state, bed.targets, bed.layout);
      expect(first.errors).toEqual([]);
    },
    teardown: removeTestContainers,
  });

  const without = (name: string): DesiredState => ({ ...t.state, peers: t.state.peers.filter((p) => p.name !== name) });
  const ruleset = (): Promise<string> => liveRules(t.bed.cell.wg);
  const caddyAt = (locator: string): CellTargets =>
    openCellTargets(
      controllerConfigSchema.parse({
        ...configFileJson(t.bed.config),
        targets: { ...configFileJson(t.bed.config).targets, caddy: locator },
      }),
    );

  it('a transaction the kernel refuses leaves the old ruleset intact, and the error names the failing line', async () => {
    // An operator's rule still jumps to dave's chain, so deleting that chain fails at COMMIT
    // ("CHAIN_DEL failed (Device or resource busy)"): a real refusal, not a simulated one.
    await nsRunOk(t.bed.cell.wg, ['iptables', '-A', 'INPUT', '-s', '10.0.0.10/32', '-j', DAVE_CHAIN]);
    const before = await ruleset();
    const result = await reconcileCell(without('dave-phone'), t.bed.targets, t.bed.layout);
    expect(result.converged).toBe(false);
    expect(result.apply?.failures.map((f) => f.part)).toEqual(['iptables']);
    const error = result.apply?.failures[0]?.error ?? '';
    expect(error).toMatch(
      new RegExp(
        `^netns:${t.bed.cell.wg}: iptables-restore exit \\d+: .*busy.* \\(input line \\d+: -X ${DAVE_CHAIN}\\)$`,
      ),
    );
    expect(result.errors).toContain(error);
    // The other parts of the same transaction (chain edits, flushes) were rolled back with it.
    expect(await ruleset()).toBe(before);
    expect(before.split('\n')).toContain(`:${DAVE_CHAIN} -`);
    // The Corefile is an independent part: it converged anyway.
    expect(await readFile(t.bed.corefilePath, 'utf8')).toBe(result.rendered.corefile);

    await nsRunOk(t.bed.cell.wg, ['iptables', '-D', 'INPUT', '-s', '10.0.0.10/32', '-j', DAVE_CHAIN]);
    const retried = await reconcileCell(t.state, t.bed.targets, t.bed.layout);
    expect(retried.errors).toEqual([]);
    expect(compareMatrix(t.state, await probeMatrix(t.state, t.bed.cell))).toEqual([]);
  });

  it('verify catches an apply that changed nothing: not converged, with the residual plan', async () => {
    await nsRunOk(t.bed.cell.lan, ['ip', 'addr', 'del', '172.20.0.22/16', 'dev', 'eth0']);
    // Caddy's `ip -batch` "succeeds" without writing, like a command that exits 0 and does nothing: only its read-back runs.
    const readOnly = (stdin = ''): string =>
      `${stdin
        .split('\n')
        .filter((line) => line.startsWith('address show'))
        .join('\n')}\n`;
    const silent: Target = {
      locator: t.bed.targets.caddy.locator,
      exec: (argv, options) =>
        t.bed.targets.caddy.exec(
          argv,
          argv.includes('-batch') ? { ...options, stdin: readOnly(options?.stdin) } : options,
        ),
    };
    const result = await reconcileCell(t.state, { ...t.bed.targets, caddy: silent }, t.bed.layout);
    expect(result.apply?.failures).toEqual([]);
    expect(result.apply?.counts.ipBatches).toBe(1);
    expect(result.converged).toBe(false);
    expect(result.residual?.actions).toEqual([
      expect.objectContaining({
        kind: 'add-address',
        address: { address: '172.20.0.22', prefixlen: 16, label: 'eth0:pic' },
      }),
    ]);
    expect(result.errors).toEqual(['not converged: 1 actions still pending after apply']);

    const repaired = await reconcileCell(t.state, t.bed.targets, t.bed.layout);
    expect(repaired.converged).toBe(true);
    expect(repaired.plan.actions.map((a) => a.kind)).toEqual(['add-address']);
  });

  it('a wireguard target without a shell: the restore runs alone and verify reads the tables back itself', async () => {
    const calls: string[] = [];
    const shellless: Target = {
      locator: t.bed.targets.wireguard.locator,
      exec: (argv, options) => {
        calls.push(argv[0] ?? '');
        if (argv[0] === 'sh')
          return Promise.reject(
            new ProgramNotFoundError(t.bed.targets.wireguard.locator, argv, 127, '', 'sh not found in container'),
          );
        return t.bed.targets.wireguard.exec(argv, options);
      },
    };
    const result = await reconcileCell(without('dave-phone'), { ...t.bed.targets, wireguard: shellless }, t.bed.layout);
    expect(result.errors).toEqual([]);
    expect(result.converged).toBe(true);
    expect(result.apply?.readback.iptables).toBeUndefined();
    // Observe, restore and verify each try the shell first (both backends; restore and read-back in one), then go alone.
    expect(calls).toEqual(['sh', 'ip', 'iptables-save', 'sh', 'iptables-restore', 'sh', 'iptables-save']);
    expect(await ruleset()).not.toContain(DAVE_CHAIN);

    const back = await reconcileCell(t.state, t.bed.targets, t.bed.layout);
    expect(back.converged).toBe(true);
  });

  const brokenCaddies = [
    { name: 'missing', locator: () => `docker:${containerName('missing-caddy')}`, message: 'no such container' },
    { name: 'stopped', locator: () => `docker:${stopped}`, message: 'container is not running' },
  ];
  for (const broken of brokenCaddies) {
    it(`a ${broken.name} caddy container fails only its part; iptables and the Corefile converge`, async () => {
      const changed = without('erin-laptop');
      const result = await reconcileCell(changed, caddyAt(broken.locator()), t.bed.layout);
      expect(result.converged).toBe(false);
      expect(result.errors).toEqual([`${broken.locator()}: ip -j addr show dev eth0: ${broken.message}`]);
      expect(result.plan.skipped.map((s) => s.part)).toEqual(['addresses']);
      expect(result.apply?.counts).toMatchObject({ restores: 1, fileWrites: 1 });
      expect(result.apply?.failures).toEqual([]);
      // Seen through the working targets, the other parts are done.
      const check = await reconcileCell(changed, t.bed.targets, t.bed.layout);
      expect(check.plan.actions).toEqual([]);
      expect(check.converged).toBe(true);
      // Back to the full state for the next case.
      expect((await reconcileCell(t.state, t.bed.targets, t.bed.layout)).converged).toBe(true);
    });
  }

  it('a CoreDNS reload that failed is sent again on the next pass, even though the Corefile already matches', async () => {
    let attempts = 0;
    const dns = trackingReloads('fake:dns', async () => {
      attempts++;
      if (attempts === 1) throw new Error('signal lost');
    });
    const targets: CellTargets = { ...t.bed.targets, dns };
    const failed = await reconcileCell(without('bob'), targets, t.bed.layout);
    expect(failed.converged).toBe(false);
    expect(failed.errors).toEqual(['signal lost']);
    expect(dns.reloadPending).toBe(true);

    const retried = await reconcileCell(without('bob'), targets, t.bed.layout);
    expect(retried.plan.actions).toEqual([]);
    expect(retried.apply?.counts).toEqual({ restores: 0, ipBatches: 0, fileWrites: 0, signals: 1 });
    expect(retried.converged).toBe(true);
    expect(attempts).toBe(2);
    expect(dns.reloadPending).toBe(false);
    expect((await reconcileCell(t.state, t.bed.targets, t.bed.layout)).converged).toBe(true);
  });
});
