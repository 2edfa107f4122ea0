import { controllerConfigSchema, layoutOf, type ControllerConfig } from '../config/controller-config.js';
import type { CellTargets } from '../model/cell-targets.js';
import type { LayoutConfig } from '../model/facts.js';
import { openCellTargets } from '../targets/open-cell-targets.js';
import { bareCellConfig, createBareCell } from '../testbed/bare-cell.js';
import { createRecordingTarget, type RecordingTarget } from '../testbed/recording-target.js';

const DEFAULTS = controllerConfigSchema.parse({});

/**
 * The pacing a user would run with: the controller's defaults (quiet time after the last
 * file event, least time between two reconciles).
 */
export const BENCH_PACING = { debounce_ms: DEFAULTS.debounce_ms, min_interval_ms: DEFAULTS.min_interval_ms } as const;

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

function recording(targets: CellTargets): BenchCell['targets'] {
  return {
    ...targets,
    wireguard: createRecordingTarget(targets.wireguard),
    caddy: createRecordingTarget(targets.caddy),
  };
}

/** Two empty namespaces (src/testbed/bare-cell.ts) with recording targets. */
export async function createNetnsCell(): Promise<BenchCell> {
  const cell = await createBareCell(BENCH_PACING);
  return { ...cell, targets: recording(cell.targets) };
}

/** Config and recording targets for a cell whose roles live at `locators` (containers). */
export function benchCell(
  where: {
    readonly wg: string;
    readonly caddy: string;
    readonly workDir: string;
    readonly locators: { readonly wireguard: string; readonly caddy: string };
  },
  dispose: () => Promise<void>,
): BenchCell {
  const config = bareCellConfig(where.locators, where.workDir, BENCH_PACING);
  return {
    wg: where.wg,
    caddy: where.caddy,
    workDir: where.workDir,
    config,
    layout: layoutOf(config),
    targets: recording(openCellTargets(config)),
    dispose,
  };
}
