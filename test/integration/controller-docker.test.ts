import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCellTargets, roleContainers } from '../../src/targets/open-cell-targets.js';
import { controllerConfigSchema, layoutOf, type ControllerConfig } from '../../src/config/controller-config.js';
import { Controller } from '../../src/loop/controller.js';
import { createLogger } from '../../src/loop/logger.js';
import { reconcileCell } from '../../src/pass/reconcile-cell.js';
import type { CellTargets } from '../../src/model/cell-targets.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import { dockerClient } from '../../src/targets/docker-client.js';
import { removeContainer } from '../../src/targets/docker-container-lifecycle.js';
import { restartContainer } from '../helpers/restart-container.js';
import { dockerContainerAddress } from '../../src/targets/docker-container.js';
import { createDockerTarget } from '../../src/targets/docker-target.js';
import {
  buildTestImage,
  createTestNetwork,
  ensureDockerDaemon,
  removeTestContainers,
  startTestContainer,
} from '../helpers/docker.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { loadValidState } from '../helpers/testbed.js';
import { waitFor } from '../helpers/wait-for.js';

const ready = requirePrerequisites(['root', 'dockerd', 'docker', 'busybox', 'iptables', 'ip']);

/** A restart wipes the container's network namespace; like wg-quick, its start command makes wg0 again. */
const WIREGUARD_CMD = [
  'sh',
  '-c',
  'ip link add wg0 type veth peer name wgpeer && ip link set wg0 up && ip link set wgpeer up; trap "exit 0" TERM; while true; do sleep 1; done',
];

/** Polls `check` until it returns a value (not null or false); fails after `timeoutMs`. */
describe('controller loop on Docker containers (real dockerd, events, iptables)', () => {
  let state: DesiredState;
  let workDir = '';
  let config: ControllerConfig;
  let targets: CellTargets;
  let controller: Controller | null = null;
  let wireguard = '';
  let apiName = '';
  let image = '';

  const exec = async (name: string, argv: readonly string[]): Promise<string> => {
    const result = await createDockerTarget(name).exec(argv);
    if (result.exitCode !== 0) throw new Error(`${argv.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  /** The live cell equals the desired state: a dry run plans nothing and every target answers. */
  const converged = async (): Promise<boolean> => {
    const result = await reconcileCell(state, targets, layoutOf(config), { dryRun: true });
    return result.plan.actions.length === 0 && result.errors.length === 0;
  };

  beforeAll(async () => {
    if (!ready.ok) return;
    await ensureDockerDaemon();
    image = await buildTestImage();
    state = await loadValidState('state');
    let caddy = '';
    [wireguard, caddy, apiName] = await Promise.all([
      startTestContainer({ role: 'wireguard', image, cmd: WIREGUARD_CMD }),
      startTestContainer({ role: 'caddy', image }),
      startTestContainer({ role: 'api', image }),
    ]);
    workDir = await mkdtemp(join(tmpdir(), 'pict-docker-'));
    config = controllerConfigSchema.parse({
      targets: { wireguard: `docker:${wireguard}`, caddy: `docker:${caddy}`, api: `docker:${apiName}`, dns: 'none' },
      corefile: join(workDir, 'Corefile'),
      listen: '127.0.0.1:0',
      // Repairs must come from Docker's events, not from the resync.
      resync_seconds: 3_600,
      status_dir: join(workDir, 'status'),
      debounce_ms: 50,
      min_interval_ms: 50,
    });
    targets = openCellTargets(config);
    controller = new Controller({
      stateDir: 'state',
      config,
      targets,
      docker: dockerClient(),
      containers: roleContainers(config),
      logger: createLogger({ level: 'warn', pretty: false }),
      allowMassDelete: false,
      serveHttp: false,
    });
    await controller.start();
  });
  afterAll(async () => {
    await controller?.stop();
    await removeTestContainers();
    if (workDir !== '') await rm(workDir, { recursive: true, force: true });
  });

  it('converges the containers at startup', async () => {
    await waitFor(
      'the startup pass to converge',
      async () => controller?.status().lastReconcile?.converged === true,
      15_000,
    );
    expect(await converged()).toBe(true);
    const nat = await exec(wireguard, ['iptables-save', '-t', 'nat']);
    expect(nat).toContain(`--to-destination ${await dockerContainerAddress(apiName)}:3000`);
  });

  it('repairs a restarted wireguard container (rules, policy routes, NAT) from its Docker events, within about 2 s', async () => {
    const t0 = performance.now();
    await restartContainer(dockerClient(), wireguard, 0);
    const restarted = performance.now();
    // The restart left a fresh network namespace: nothing of ours is there.
    const wiped = await exec(wireguard, ['iptables-save']);
    const repairedBeforeWeLooked = wiped.includes('PIC-FORWARD');
    await waitFor('the wireguard container to be repaired', converged, 10_000);
    const repaired = performance.now();
    console.log(
      `[controller] docker restart took ${Math.round(restarted - t0)} ms; repaired ${Math.round(repaired - restarted)} ms after it returned${repairedBeforeWeLooked ? ' (already before the first look)' : ''}`,
    );
    expect(repaired - restarted).toBeLessThan(5_000);
    const rules = await exec(wireguard, ['ip', 'rule', 'show']);
    expect(rules).toContain('from 10.0.0.4 lookup main suppress_prefixlength 0 proto 252');
    const nat = await exec(wireguard, ['iptables-save', '-t', 'nat']);
    expect(nat).toContain('-j PIC-PREROUTING');
    expect(controller?.status().lastReconcile?.triggers.some((t) => t.startsWith('docker'))).toBe(true);
  });

  it('moves the DNAT when the api container comes back with another IP', async () => {
    const before = await dockerContainerAddress(apiName);
    expect(await removeContainer(dockerClient(), apiName)).toBe(true);
    // The freed address goes to another container first, so the new api cannot get it back.
    await startTestContainer({ role: 'filler', image });
    const t0 = performance.now();
    await startTestContainer({ role: 'api', image });
    const after = await dockerContainerAddress(apiName);
    expect(after).not.toBeNull();
    expect(after).not.toBe(before);
    await waitFor(
      'the DNAT to follow the api',
      async () => (await exec(wireguard, ['iptables-save', '-t', 'nat'])).includes(`--to-destination ${after}:3000`),
      10_000,
    );
    console.log(
      `[controller] api moved ${before} → ${after}; DNAT followed in ${Math.round(performance.now() - t0)} ms`,
    );
    const nat = await exec(wireguard, ['iptables-save', '-t', 'nat']);
    expect(nat).not.toContain(`${before}:3000`);
    expect(await converged()).toBe(true);
  });

  it("keeps the api rules on the Cell's network when the api joins a network whose name sorts first", async () => {
    const cellAddress = await dockerContainerAddress(apiName, state.cell.ip_range);
    expect(cellAddress).not.toBeNull();
    const natBefore = await exec(wireguard, ['iptables-save', '-t', 'nat']);
    expect(natBefore).toContain(`--to-destination ${cellAddress}:3000`);
    // `pict-<pid>-aaa` sorts before `pict-<pid>-cell`, as Docker's default `bridge` sorts before a compose network.
    const first = await createTestNetwork('aaa', (attempt) => `10.234.${(process.pid + attempt) % 256}.0/24`);
    const before = controller?.status().lastReconcile?.id;
    await dockerClient().getNetwork(first).connect({ Container: apiName });
    const other =
      (await dockerClient().getContainer(apiName).inspect()).NetworkSettings.Networks[first]?.IPAddress ?? '';
    expect(other).toMatch(/^10\.234\./);
    // The network event triggers a pass; it must keep the DNAT, MASQUERADE and port-3000 rules where they were.
    await waitFor(
      'the pass after the network connect',
      async () =>
        controller?.status().lastReconcile?.id !== before &&
        controller?.status().lastReconcile?.triggers.some((t) => t.startsWith('docker-network-connect')) === true,
      10_000,
    );
    const natAfter = await exec(wireguard, ['iptables-save', '-t', 'nat']);
    expect(natAfter).toContain(`--to-destination ${cellAddress}:3000`);
    expect(natAfter).not.toContain(other);
    expect((await exec(wireguard, ['iptables-save', '-t', 'filter'])).includes(other)).toBe(false);
    expect(controller?.status().lastReconcile?.converged).toBe(true);
  });
});
