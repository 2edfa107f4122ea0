import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCellTargets } from '../cli/open-cell-targets.js';
import { controllerConfigSchema, layoutOf, type ControllerConfig } from '../config/controller-config.js';
import type { CellTargets } from '../model/cell-targets.js';
import type { LayoutConfig } from '../model/facts.js';
import { connectVeth, createNamespace, deleteNamespace } from '../testbed/netns.js';
import { createRecordingTarget, type RecordingTarget } from './recording-target.js';

/** The api's address (`api: ip:`); nothing listens there, only the rules name it. */
export const BENCH_API_IP = '172.20.0.3';

/**
 * The pacing a user would run with: the controller's defaults (100 ms quiet time after the
 * last file event, at most one reconcile per 200 ms).
 */
export const BENCH_PACING = { debounce_ms: 100, min_interval_ms: 200 } as const;

/** A cell's live side: where the wireguard and caddy roles run (namespaces, or containers), with recording targets. */
export interface BenchCell {
  readonly wg: string;
  readonly caddy: string;
  readonly workDir: string;
  readonly config: ControllerConfig;
  readonly layout: LayoutConfig;
  readonly targets: CellTargets & { readonly wireguard: RecordingTarget; readonly caddy: RecordingTarget };
  dispose(): Promise<void>;
}

/** Two empty namespaces joined by veths (wg0 ↔ the caddy side's tun0, eth0 ↔ eth0), a temp dir for the Corefile and status. */
export async function createNetnsCell(): Promise<BenchCell> {
  const wg = await createNamespace();
  const caddy = await createNamespace();
  const workDir = await mkdtemp(join(tmpdir(), 'pic-bench-'));
  try {
    await connectVeth({ ns: wg, dev: 'eth0', cidr: '172.20.0.1/16' }, { ns: caddy, dev: 'eth0', cidr: '172.20.0.2/16' });
    await connectVeth({ ns: wg, dev: 'wg0', cidr: '10.8.0.1/16' }, { ns: caddy, dev: 'tun0' });
  } catch (error) {
    await Promise.all([deleteNamespace(wg), deleteNamespace(caddy), rm(workDir, { recursive: true, force: true })]);
    throw error;
  }
  return benchCell({ wg, caddy, workDir, locators: { wireguard: `netns:${wg}`, caddy: `netns:${caddy}` } }, async () => {
    await Promise.all([deleteNamespace(wg), deleteNamespace(caddy), rm(workDir, { recursive: true, force: true })]);
  });
}

/** Config and recording targets for a cell whose roles live at `locators`; the api is `ip:`, dns `none`. */
export function benchCell(
  where: { readonly wg: string; readonly caddy: string; readonly workDir: string; readonly locators: { readonly wireguard: string; readonly caddy: string } },
  dispose: () => Promise<void>,
): BenchCell {
  const { wg, caddy, workDir } = where;
  const config = controllerConfigSchema.parse({
    targets: { ...where.locators, api: `ip:${BENCH_API_IP}`, dns: 'none' },
    corefile: join(workDir, 'Corefile'),
    listen: '127.0.0.1:0',
    status_dir: join(workDir, 'status'),
    ...BENCH_PACING,
  });
  const plain = openCellTargets(config);
  return {
    wg,
    caddy,
    workDir,
    config,
    layout: layoutOf(config),
    targets: { ...plain, wireguard: createRecordingTarget(plain.wireguard), caddy: createRecordingTarget(plain.caddy) },
    dispose,
  };
}
