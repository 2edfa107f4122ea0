import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controllerConfigSchema, layoutOf, type ControllerConfig } from '../../src/config/controller-config.js';
import { loadState } from '../../src/load/load-state.js';
import type { CellTargets } from '../../src/model/cell-targets.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import type { LayoutConfig } from '../../src/model/facts.js';
import { openCellTargets } from '../../src/targets/open-cell-targets.js';
import { createCountingTarget, type CountingTarget } from './counting-target.js';
import { buildTestbedCell, type TestbedCell } from '../../src/testbed/testbed-cell.js';

/** A testbed cell of namespaces with the controller's targets pointed at it. */
export interface TestbedFixture {
  readonly cell: TestbedCell;
  readonly config: ControllerConfig;
  readonly layout: LayoutConfig;
  readonly targets: CellTargets & { readonly wireguard: CountingTarget; readonly caddy: CountingTarget };
  readonly workDir: string;
  readonly corefilePath: string;
  dispose(): Promise<void>;
}

export async function loadValidState(dir: string): Promise<DesiredState> {
  const loaded = await loadState(dir);
  if (loaded.state === null || loaded.issues.length > 0)
    throw new Error(`state ${dir} is invalid: ${JSON.stringify(loaded.issues)}`);
  return loaded.state;
}

export async function createTestbed(state: DesiredState): Promise<TestbedFixture> {
  const cell = await buildTestbedCell(state);
  const workDir = await mkdtemp(join(tmpdir(), 'pict-work-'));
  const corefilePath = join(workDir, 'Corefile');
  const config = controllerConfigSchema.parse({
    targets: { wireguard: `netns:${cell.wg}`, caddy: `netns:${cell.lan}`, api: `ip:${cell.apiIp}`, dns: 'none' },
    corefile: corefilePath,
    listen: '127.0.0.1:0',
    status_dir: join(workDir, 'status'),
    debounce_ms: 50,
    min_interval_ms: 50,
  });
  const plain = openCellTargets(config);
  const targets = {
    ...plain,
    wireguard: createCountingTarget(plain.wireguard),
    caddy: createCountingTarget(plain.caddy),
  };
  return {
    cell,
    config,
    layout: layoutOf(config),
    targets,
    workDir,
    corefilePath,
    async dispose() {
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
