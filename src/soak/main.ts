/**
 * `npm run soak`: the load and soak checks of issue 8 on a real namespace cell (needs root,
 * iptables and ip). First a burst (default 5,000 peers, 1,000 file changes in 10 s), then a
 * soak of continuous edits and wipes (default 3 minutes) with memory sampled. Prints one JSON
 * report and exits 1 when a check fails.
 *
 *   node dist/soak/main.js [--minutes N] [--peers N] [--changes N] [--seconds N] [--soak-peers N]
 */
import { parseArgs } from 'node:util';
import { cleanupNamespaces } from '../testbed/netns.js';
import { createBareCell } from '../testbed/bare-cell.js';
import { runBurst, type BurstReport } from './run-burst.js';
import { runSoak, type SoakReport } from './run-soak.js';

/** Growth of the median RSS between the first and last third of the samples that counts as a leak. */
const MAX_RSS_GROWTH_MB = 32;

function numberOption(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`--${name} must be a positive number, got ${JSON.stringify(value)}`);
  return n;
}

function failures(burst: BurstReport, soak: SoakReport): string[] {
  const problems: string[] = [];
  if (!burst.converged || burst.residualActions !== 0)
    problems.push(`burst did not converge (${burst.residualActions} actions left)`);
  if (!soak.convergedAtEnd || soak.residualActions !== 0)
    problems.push(`soak did not converge at the end (${soak.residualActions} actions left)`);
  if (soak.rssGrowthMb > MAX_RSS_GROWTH_MB) problems.push(`RSS grew by ${soak.rssGrowthMb} MB`);
  if (Object.keys(soak.leakedResources).length > 0)
    problems.push(`handles left after stop: ${JSON.stringify(soak.leakedResources)}`);
  if (soak.childrenAfterStop.length > 0)
    problems.push(`child processes left after stop: ${soak.childrenAfterStop.join(', ')}`);
  return problems;
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('soak: needs root (it builds network namespaces)\n');
    return 1;
  }
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string' },
      peers: { type: 'string' },
      changes: { type: 'string' },
      seconds: { type: 'string' },
      'soak-peers': { type: 'string' },
    },
  });
  const minutes = numberOption(values.minutes, 3, 'minutes');
  try {
    const burstCell = await createBareCell({ resync_seconds: 3600 });
    const burst = await runBurst(burstCell, {
      peers: numberOption(values.peers, 5_000, 'peers'),
      changes: numberOption(values.changes, 1_000, 'changes'),
      seconds: numberOption(values.seconds, 10, 'seconds'),
    }).finally(() => burstCell.dispose());
    process.stderr.write(`burst: ${JSON.stringify(burst)}\n`);
    const soakCell = await createBareCell({ resync_seconds: 5 });
    const soak = await runSoak(soakCell, {
      minutes,
      peers: numberOption(values['soak-peers'], 1_000, 'soak-peers'),
      editEveryMs: 100,
      wipeEverySeconds: 15,
      sampleEverySeconds: Math.max(5, Math.round((minutes * 60) / 30)),
    }).finally(() => soakCell.dispose());
    const problems = failures(burst, soak);
    process.stdout.write(`${JSON.stringify({ burst, soak, ok: problems.length === 0, problems }, null, 2)}\n`);
    return problems.length === 0 ? 0 : 1;
  } finally {
    await cleanupNamespaces();
  }
}

process.exitCode = await main();
