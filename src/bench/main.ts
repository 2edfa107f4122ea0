#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_LAYOUT } from '../model/facts.js';
import { cleanupNamespaces } from '../testbed/netns.js';
import type { BenchResult, SizeResult } from './bench-result.js';
import { benchImage, dockerProblem } from './docker-cell.js';
import { evaluateTargets } from './evaluate-targets.js';
import { formatReport } from './format-report.js';
import { formatSummary, replaceSummary } from './readme-summary.js';
import { writeSyntheticState } from './load-synthetic.js';
import { measureAccess } from './measure-access.js';
import { measureColdStart } from './measure-cold-start.js';
import { measureImperativeDocker, measureImperativeNetns, type ImperativeRun } from './measure-imperative.js';
import { measureSize } from './measure-size.js';
import { BENCH_PACING } from './netns-cell.js';
import { renderChart } from './render-chart.js';
import type { CellSize } from './synthetic-state.js';

/**
 * `npm run bench` (issue 7): synthetic cells of growing size on real namespaces (and Docker
 * containers for the exec counts), each scenario timed several times; a table, a JSON file
 * and an SVG chart in results/. `--quick` is the smoke test: 10, 100 and 1,000 peers, 3 runs.
 */

const FULL_SIZES: readonly CellSize[] = [10, 100, 1000, 5000].flatMap((peers) => [
  { peers, links: 10 },
  { peers, links: 100 },
]);
const QUICK_SIZES: readonly CellSize[] = [10, 100, 1000].map((peers) => ({ peers, links: 10 }));

function prerequisiteProblem(): string | null {
  if (process.getuid?.() !== 0) return 'the bench needs root: it creates network namespaces and iptables rules';
  for (const tool of ['iptables', 'iptables-save', 'iptables-restore', 'ip']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0)
      return `${tool} is missing (apt-get install iptables iproute2)`;
  }
  return null;
}

function iptablesVersion(): string {
  return spawnSync('iptables', ['-V'], { encoding: 'utf8' }).stdout.trim();
}

async function imperativeRuns(
  peersNetns: number,
  peersDocker: number,
  image: string | null,
  progress: (line: string) => void,
): Promise<ImperativeRun[]> {
  const runs: ImperativeRun[] = [];
  const netnsState = await writeSyntheticState({ peers: peersNetns, links: 10 });
  runs.push(await measureImperativeNetns(netnsState.state));
  progress(`imperative, namespace: ${runs.at(-1)?.processes} processes`);
  if (image !== null) {
    const dockerState = await writeSyntheticState({ peers: peersDocker, links: 10 });
    runs.push(await measureImperativeDocker(dockerState.state, image));
    progress(`imperative, docker: ${runs.at(-1)?.processes} processes`);
  }
  return runs;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      out: { type: 'string', default: 'results' },
      docs: { type: 'string', default: 'docs/bench-latest.md' },
      readme: { type: 'string', default: 'README.md' },
    },
  });
  const problem = prerequisiteProblem();
  if (problem !== null) {
    process.stderr.write(`bench: ${problem}\n`);
    return 1;
  }
  const quick = values.quick;
  const runs = values.runs === undefined ? (quick ? 3 : 5) : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write('bench: --runs must be a positive integer\n');
    return 1;
  }
  const sizes = quick ? QUICK_SIZES : FULL_SIZES;
  const progress = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
  const startedAt = new Date().toISOString();
  const loadAverage = loadavg();

  const dockerSkipped = await dockerProblem();
  const image = dockerSkipped === null ? await benchImage() : null;
  if (dockerSkipped !== null) progress(`skipping the Docker scenarios: ${dockerSkipped}`);

  // First, before the namespaces and containers of the other scenarios add to the load.
  const coldStart = measureColdStart(quick ? 11 : 21);
  progress(
    `cold start: validate ${coldStart.validate.median.toFixed(0)} ms, node -e 0 ${coldStart.nodeBaseline.median.toFixed(0)} ms (${coldStart.ratio.toFixed(2)}×)`,
  );

  const access = await measureAccess(DEFAULT_LAYOUT, runs);
  progress(
    `access: 100-peer matrix ${access.matrix100.median.toFixed(0)} ms (${access.matrixPairs} pairs), explain at 5,000 peers ${access.explain5000.median.toFixed(2)} ms`,
  );

  const results: SizeResult[] = [];
  let imperative: ImperativeRun[] = [];
  try {
    for (const size of sizes) {
      progress(`${size.peers} peers, ${size.links} links`);
      results.push(
        await measureSize(size, { runs, layout: DEFAULT_LAYOUT, image, progress: (line) => progress(`  ${line}`) }),
      );
    }
    // The seed's way takes one process per rule: at 100 peers about 900 `docker exec` calls. The
    // smoke test keeps that to a 10-peer cell so it stays within its couple of minutes.
    imperative = await imperativeRuns(100, quick ? 10 : 100, image, progress);
  } finally {
    await cleanupNamespaces();
  }

  const result: BenchResult = {
    startedAt,
    mode: quick ? 'quick' : 'full',
    runs,
    machine: {
      cpus: cpus().length,
      node: process.version,
      kernel: release(),
      iptables: iptablesVersion(),
      loadAverage,
    },
    pacing: BENCH_PACING,
    sizes: results,
    imperative,
    dockerSkipped,
    coldStart,
    access,
    targets: evaluateTargets(results, coldStart, access),
  };
  const report = formatReport(result);
  const outDir = resolve(values.out);
  await mkdir(outDir, { recursive: true });
  const stamp = startedAt.replace(/[:.]/g, '-');
  const chart = renderChart(
    results,
    `pic-reconciler: cost against cell size (${result.mode} run, ${startedAt.slice(0, 10)})`,
  );
  await Promise.all([
    writeFile(join(outDir, `bench-${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`),
    writeFile(join(outDir, 'bench-latest.json'), `${JSON.stringify(result, null, 2)}\n`),
    writeFile(join(outDir, 'bench-latest.md'), report),
    writeFile(join(outDir, 'bench-cost.svg'), chart),
  ]);
  if (!quick) {
    const docsDir = dirname(resolve(values.docs));
    await mkdir(docsDir, { recursive: true });
    await writeFile(resolve(values.docs), docsPage(report));
    await writeFile(join(docsDir, 'bench-cost.svg'), chart);
    await updateReadme(resolve(values.readme), formatSummary(result), progress);
  }
  process.stdout.write(report);
  progress(`results in ${outDir}${quick ? '' : ` and ${values.docs}, ${values.readme}`}`);
  return 0;
}

/** Puts the summary between the README's markers; a README without them is left alone. */
async function updateReadme(path: string, summary: string, progress: (line: string) => void): Promise<void> {
  const text = await readFile(path, 'utf8').catch(() => null);
  const updated = text === null ? null : replaceSummary(text, summary);
  if (updated === null) progress(`${path}: no summary markers; not updated`);
  else await writeFile(path, updated);
}

function docsPage(report: string): string {
  return `# Benchmark: latest full run

Produced by \`npm run bench\` (the full run; \`npm run bench -- --quick\` is a two-minute smoke test
that does not update this page). It needs root, iptables and iproute2, and Docker for the exec
counts and the seed comparison. Reproduce with:

\`\`\`sh
npm ci && npm run build
sudo npm run bench            # writes results/bench-latest.{md,json}, results/bench-cost.svg and this page
\`\`\`

Each cell is synthetic (src/bench/synthetic-state.ts): peers in 10.8.0.0/16 with varied access
(a third without internet, rotating service subsets, a quarter without peer access, every tenth
routed via a linked cell), links in 10.9.<n>.0/24, written as one file per resource. Every scenario
runs on real network namespaces (a wireguard namespace with wg0 and eth0, a caddy namespace) with
\`api: ip:\` and \`dns: none\`; the Docker columns use two containers of the test image.
Machines are noisy: read medians and ratios, not single runs.

${report}`;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    await cleanupNamespaces();
    process.exitCode = 1;
  },
);
