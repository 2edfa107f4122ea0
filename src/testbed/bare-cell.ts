import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { openCellTargets } from '../targets/open-cell-targets.js';
import { controllerConfigSchema, layoutOf, type ControllerConfig } from '../config/controller-config.js';
import { Controller } from '../loop/controller.js';
import type { CellTargets } from '../model/cell-targets.js';
import type { LayoutConfig } from '../model/facts.js';
import { connectVeth, createNamespace, deleteNamespace } from './netns.js';

/** The api's address (`api: ip:`); nothing listens there, only the rules name it. */
export const BARE_API_IP = '172.20.0.3';

/** Controller pacing and resync for a bare cell; the defaults are the controller's own. */
export type BareCellOptions = Partial<Pick<ControllerConfig, 'debounce_ms' | 'min_interval_ms' | 'resync_seconds'>>;

/**
 * The smallest live cell the benchmark and the load tests need: a wireguard namespace
 * (wg0 and eth0) and a caddy namespace (eth0), joined by veths, with a temp folder for the
 * state, the Corefile and the status, and the controller's config and targets pointed at them.
 * No peer namespaces: these measure reconciles and compare rules, not packets.
 */
export interface BareCell {
  readonly wg: string;
  readonly caddy: string;
  readonly workDir: string;
  readonly stateDir: string;
  readonly config: ControllerConfig;
  readonly layout: LayoutConfig;
  readonly targets: CellTargets;
  dispose(): Promise<void>;
}

/** Config for a cell whose wireguard and caddy roles live at `locators`; the api is `ip:`, dns `none`. */
export function bareCellConfig(
  locators: { readonly wireguard: string; readonly caddy: string },
  workDir: string,
  options: BareCellOptions = {},
): ControllerConfig {
  return controllerConfigSchema.parse({
    targets: { ...locators, api: `ip:${BARE_API_IP}`, dns: 'none' },
    corefile: join(workDir, 'Corefile'),
    listen: '127.0.0.1:0',
    status_dir: join(workDir, 'status'),
    lock_dir: join(workDir, 'lock'),
    ...options,
  });
}

export async function createBareCell(options: BareCellOptions = {}): Promise<BareCell> {
  const wg = await createNamespace();
  const caddy = await createNamespace();
  const workDir = await mkdtemp(join(tmpdir(), 'pict-cell-'));
  const dispose = async (): Promise<void> => {
    await Promise.all([deleteNamespace(wg), deleteNamespace(caddy), rm(workDir, { recursive: true, force: true })]);
  };
  try {
    await connectVeth(
      { ns: wg, dev: 'eth0', cidr: '172.20.0.1/16' },
      { ns: caddy, dev: 'eth0', cidr: '172.20.0.2/16' },
    );
    await connectVeth({ ns: wg, dev: 'wg0', cidr: '10.8.0.1/16' }, { ns: caddy, dev: 'tun0' });
  } catch (error) {
    await dispose();
    throw error;
  }
  const config = bareCellConfig({ wireguard: `netns:${wg}`, caddy: `netns:${caddy}` }, workDir, options);
  return {
    wg,
    caddy,
    workDir,
    stateDir: join(workDir, 'state'),
    config,
    layout: layoutOf(config),
    targets: openCellTargets(config),
    dispose,
  };
}

/** A controller on the cell (not started): silent, no HTTP. */
export function bareCellController(cell: BareCell): Controller {
  return new Controller({
    stateDir: cell.stateDir,
    config: cell.config,
    targets: cell.targets,
    docker: null,
    containers: [],
    logger: pino({ level: 'silent' }),
    allowMassDelete: false,
    serveHttp: false,
  });
}
