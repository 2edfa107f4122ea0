import { join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { openCellTargets } from '../cli/open-cell-targets.js';
import { controllerConfigSchema, type ControllerConfig } from '../config/controller-config.js';
import type { CellTargets } from '../model/cell-targets.js';
import { connectVeth, createNamespace, deleteNamespace } from '../testbed/netns.js';
import { Controller } from '../loop/controller.js';

/**
 * The smallest live cell a load test needs: a wireguard namespace (wg0 and eth0) and a caddy
 * namespace (eth0), joined by veth pairs, with the controller's config and targets pointed
 * at them. No peer namespaces: load tests count reconciles and compare rules, not packets.
 */
export interface BareCell {
  readonly wg: string;
  readonly lan: string;
  readonly workDir: string;
  readonly stateDir: string;
  readonly config: ControllerConfig;
  readonly targets: CellTargets;
  /** A controller on this cell (not started); silent, no HTTP. */
  controller(): Controller;
  dispose(): Promise<void>;
}

export async function createBareCell(options: { debounceMs?: number; minIntervalMs?: number; resyncSeconds?: number } = {}): Promise<BareCell> {
  const wg = await createNamespace();
  const lan = await createNamespace();
  await connectVeth({ ns: wg, dev: 'wg0', cidr: '10.8.0.1/16' }, { ns: lan, dev: 'tunnel', cidr: '10.8.255.254/16' });
  await connectVeth({ ns: wg, dev: 'eth0', cidr: '172.20.0.2/16' }, { ns: lan, dev: 'eth0', cidr: '172.20.0.1/16' });
  const workDir = await mkdtemp(join(tmpdir(), 'pict-soak-'));
  const config = controllerConfigSchema.parse({
    targets: { wireguard: `netns:${wg}`, caddy: `netns:${lan}`, api: 'ip:172.20.0.3', dns: 'none' },
    corefile: join(workDir, 'Corefile'),
    listen: '127.0.0.1:0',
    status_dir: join(workDir, 'status'),
    debounce_ms: options.debounceMs ?? 100,
    min_interval_ms: options.minIntervalMs ?? 200,
    resync_seconds: options.resyncSeconds ?? 3600,
  });
  const targets = openCellTargets(config);
  const stateDir = join(workDir, 'state');
  return {
    wg,
    lan,
    workDir,
    stateDir,
    config,
    targets,
    controller: () =>
      new Controller({ stateDir, config, targets, docker: null, containers: [], logger: pino({ level: 'silent' }), allowMassDelete: false, serveHttp: false }),
    async dispose() {
      await Promise.all([deleteNamespace(wg), deleteNamespace(lan)]);
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
