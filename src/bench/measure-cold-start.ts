import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ColdStartFigures } from './bench-result.js';
import { ratio, summarize } from './stats.js';

const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const EXAMPLE_STATE = fileURLToPath(new URL('../../state', import.meta.url));

/** Wall time of one process from spawn to exit, ms; throws when it does not exit 0. */
function timeProcess(args: readonly string[]): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - start;
  if (result.status !== 0)
    throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr.trim().split('\n')[0] ?? ''}`);
  return ms;
}

/**
 * Cold start: `node dist/cli/main.js validate --state state` (the example state) against
 * `node -e 0`, alternated so load on a shared machine falls on both alike; medians and their ratio.
 */
export function measureColdStart(runs: number): ColdStartFigures {
  const validate: number[] = [];
  const baseline: number[] = [];
  // One unmeasured round warms the page cache for both.
  timeProcess(['-e', '0']);
  timeProcess([CLI, 'validate', '--state', EXAMPLE_STATE]);
  for (let i = 0; i < runs; i++) {
    baseline.push(timeProcess(['-e', '0']));
    validate.push(timeProcess([CLI, 'validate', '--state', EXAMPLE_STATE]));
  }
  const validateSummary = summarize(validate);
  const baselineSummary = summarize(baseline);
  return {
    validate: validateSummary,
    nodeBaseline: baselineSummary,
    ratio: ratio(validateSummary.median, baselineSummary.median) ?? Infinity,
  };
}
