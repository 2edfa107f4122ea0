/**
 * A container stopped during apply, on real Docker: the controller follows the role
 * container's events. The wireguard container is killed while iptables-restore runs in it;
 * the controller stays up and reports the failure, and when the container starts again
 * (a fresh network namespace) it converges by itself, from Docker's start event.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCellTargets } from '../../src/targets/open-cell-targets.js';
import { controllerConfigSchema, layoutOf } from '../../src/config/controller-config.js';
import { loadState } from '../../src/load/load-state.js';
import { Controller } from '../../src/loop/controller.js';
import type { ControllerStatus } from '../../src/status/controller-status.js';
import { reconcileCell } from '../../src/pass/reconcile-cell.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import { dockerClient } from '../../src/targets/docker-client.js';
import { startContainer } from '../../src/targets/docker-container-lifecycle.js';
import { buildState } from '../helpers/build-state.js';
import { buildTestImage, ensureDockerDaemon, removeTestContainers, startTestContainer } from '../helpers/docker.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { SILENT, writeStateFiles } from './state-files.js';
import { faultyTarget, isRestore, type Fault } from './target-decorators.js';

const ready = requirePrerequisites(['root', 'dockerd', 'docker', 'busybox', 'iptables', 'ip']);

const STATE = buildState({
  peers: [{ name: 'alice' }, { name: 'bob', internet_access: false }, { name: 'carol', service_access: ['files'] }],
});

/** Polls the status (without triggering anything) until `done`, or fails after `ms`. */
async function statusUntil(
  controller: Controller,
  done: (s: ControllerStatus) => boolean,
  ms: number,
): Promise<ControllerStatus> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (done(controller.status())) return controller.status();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`status never matched: ${JSON.stringify(controller.status().lastReconcile)}`);
}

describe('a container stopped during apply', () => {
  let name: string;
  let work: string;
  let controller: Controller;
  const sw: { fault: Fault | null } = { fault: null };

  beforeAll(async () => {
    if (!ready.ok) return;
    await ensureDockerDaemon();
    name = await startTestContainer({ role: 'hardening-wg', image: await buildTestImage() });
    work = await mkdtemp(join(tmpdir(), 'pict-dockerfault-'));
    await writeStateFiles(join(work, 'state'), STATE);
    const config = controllerConfigSchema.parse({
      targets: { wireguard: `docker:${name}`, caddy: `docker:${name}`, api: 'ip:172.20.0.3', dns: 'none' },
      corefile: join(work, 'Corefile'),
      status_dir: join(work, 'status'),
      listen: '127.0.0.1:0',
      debounce_ms: 50,
      min_interval_ms: 50,
      resync_seconds: 3600,
    });
    const targets = openCellTargets(config);
    controller = new Controller({
      stateDir: join(work, 'state'),
      config,
      targets: { ...targets, wireguard: faultyTarget(targets.wireguard, sw) },
      docker: dockerClient(),
      containers: [name],
      logger: SILENT,
      allowMassDelete: false,
      serveHttp: false,
    });
    const started = Date.now();
    await controller.start();
    await statusUntil(
      controller,
      (s) => s.lastReconcile?.converged === true && Date.parse(s.lastReconcile.startedAt) >= started,
      30_000,
    );
  });
  afterAll(async () => {
    sw.fault = null;
    await controller?.stop();
    await removeTestContainers();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('reports the failure, stays up, and converges on its own once the container is back', async () => {
    // Killed while iptables-restore runs in it: the exec is already under way.
    sw.fault = async (argv, options, inner) => {
      if (!isRestore(argv)) return inner.exec(argv, options);
      const running = inner.exec(argv, options);
      // Its failure reaches the controller through the returned promise; don't report it twice.
      running.catch(() => undefined);
      await dockerClient().getContainer(name).kill({ signal: 'SIGKILL' });
      return running;
    };
    const editedAt = Date.now();
    await writeFile(
      join(work, 'state', 'peers', 'bob.json'),
      JSON.stringify({ ...STATE.peers[1], internet_access: true }),
    );
    const failed = await statusUntil(
      controller,
      (s) => s.lastReconcile?.converged === false && Date.parse(s.lastReconcile.startedAt) >= editedAt,
      30_000,
    );
    expect(failed.conditions.find((c) => c.type === 'Ready')?.status).toBe('False');
    expect(failed.lastReconcile?.errors.length).toBeGreaterThan(0);
    for (const error of failed.lastReconcile?.errors ?? []) expect(error).not.toMatch(/\n/);
    console.log(`while the container was down: ${failed.lastReconcile?.errors.join(' | ')}`);

    sw.fault = null;
    // Retries keep failing while it is down; the controller keeps reporting.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(controller.status().lastReconcile?.converged).toBe(false);

    const restartedAt = Date.now();
    await startContainer(dockerClient(), name);
    const back = await statusUntil(
      controller,
      (s) => s.lastReconcile?.converged === true && Date.parse(s.lastReconcile.startedAt) >= restartedAt,
      30_000,
    );
    expect(back.lastReconcile?.triggers.some((t) => t.startsWith('docker') || t === 'retry')).toBe(true);
    const loaded = await loadState(join(work, 'state'));
    const check = await reconcileCell(
      loaded.state as DesiredState,
      openCellTargets(
        controllerConfigSchema.parse({
          targets: { wireguard: `docker:${name}`, caddy: `docker:${name}`, api: 'ip:172.20.0.3', dns: 'none' },
          corefile: join(work, 'Corefile'),
        }),
      ),
      layoutOf(controllerConfigSchema.parse({})),
      { dryRun: true },
    );
    expect(check.plan.actions).toEqual([]);
  });
});
