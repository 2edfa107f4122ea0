/**
 * Load, scaled for `npm test`: 500 peers, then 200 file changes in 2 s while the controller
 * runs on a real namespace cell. It must end converged on the last change with a bounded
 * number of reconciles. The full size (5,000 peers, 1,000 changes in 10 s) is in `npm run soak`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBareCell, type BareCell } from '../../src/testbed/bare-cell.js';
import { runBurst } from '../../src/soak/run-burst.js';
import { cleanupNamespaces } from '../../src/testbed/netns.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';

const ready = requirePrerequisites(['root', 'iptables', 'ip']);

describe('a burst of edits on 500 peers', () => {
  let cell: BareCell;
  beforeAll(async () => {
    if (!ready.ok) return;
    cell = await createBareCell({ resync_seconds: 3600 });
  });
  afterAll(async () => {
    await cell?.dispose();
    await cleanupNamespaces();
  });

  it('converges on the last of 200 changes in 2 s with a bounded number of reconciles', async () => {
    const report = await runBurst(cell, { peers: 500, changes: 200, seconds: 2, settleTimeoutMs: 30_000 });
    console.log(`burst: ${JSON.stringify(report)}`);
    expect(report.converged).toBe(true);
    expect(report.residualActions).toBe(0);
    // min_interval 200 ms and the state watcher's debounce bound the rate: about 2 s / 0.2 s + settling, not 200.
    expect(report.reconciles).toBeLessThanOrEqual(25);
    expect(report.reconciles).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
