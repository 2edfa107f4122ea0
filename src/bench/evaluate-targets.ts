import type { AccessFigures, ColdStartFigures, SizeResult, TargetCheck } from './bench-result.js';
import { marginalCosts, ratio } from './stats.js';

/** Issue 7's targets (memory and cold start: issue 14's), checked against what was measured (medians). Pure. */

export const TARGETS = {
  fullVsFloorAt1000: 1.5,
  noopVsObserve: 1.2,
  changeLatencyMsAt1000: 300,
  dockerExecsPerReconcile: 6,
  peakRssMBAt100: 100,
  peakRssMBAt5000: 200,
  /** `validate` of the example state against `node -e 0`. */
  coldStartRatio: 2.2,
  /** How much faster than the floor's the per-peer cost may grow from (100→1,000) to (1,000→5,000). */
  marginalGrowth: 1.25,
  /** Issue 13: the full access matrix of a 100-peer cell, and one explain on a 5,000-peer dump. */
  accessMatrixMsAt100: 1000,
  explainMsAt5000: 100,
} as const;

const fmt = (n: number, digits = 0): string => n.toFixed(digits);
const label = (s: SizeResult): string => `${s.peers} peers/${s.links} links`;

function check(target: string, parts: readonly { measured: string; met: boolean }[]): TargetCheck {
  if (parts.length === 0) return { target, measured: 'not measured in this run', met: null };
  return { target, measured: parts.map((p) => p.measured).join('; '), met: parts.every((p) => p.met) };
}

export function evaluateTargets(
  sizes: readonly SizeResult[],
  coldStart: ColdStartFigures | null = null,
  access: AccessFigures | null = null,
): TargetCheck[] {
  const at = (peers: number): SizeResult[] => sizes.filter((s) => s.peers === peers);
  const linkCounts = [...new Set(sizes.map((s) => s.links))];
  const checks: TargetCheck[] = [];

  checks.push(
    check(
      `full converge at 1,000 peers within ${TARGETS.fullVsFloorAt1000}× the floor`,
      at(1000).map((s) => {
        const r = ratio(s.full.median, s.floor.median) ?? Infinity;
        return {
          measured: `${label(s)}: ${fmt(s.full.median)} ms vs floor ${fmt(s.floor.median)} ms = ${fmt(r, 2)}×`,
          met: r <= TARGETS.fullVsFloorAt1000,
        };
      }),
    ),
  );

  // iptables-nft's own restore and save grow faster than linearly here (the floor's per-peer cost
  // rises from 1,000 to 5,000 peers), so the check is that ours grows no faster than the floor does.
  checks.push(
    check(
      'full converge cost grows linearly up to 5,000 peers (no faster than the floor)',
      linkCounts.flatMap((links) => {
        const row = sizes.filter((s) => s.links === links && s.peers >= 100);
        if (!row.some((s) => s.peers === 5000)) return [];
        const ours = marginalCosts(row.map((s) => ({ x: s.peers, y: s.full.median })));
        const floor = marginalCosts(row.map((s) => ({ x: s.peers, y: s.floor.median })));
        const growth = (costs: typeof ours): number =>
          (costs.at(-1)?.perUnit ?? 0) / (costs.at(-2)?.perUnit ?? Infinity);
        const relative = growth(ours) / growth(floor);
        const perPeer = (costs: typeof ours): string => costs.map((c) => `${fmt(c.perUnit * 1000)}`).join(' → ');
        return [
          {
            measured: `${links} links: ours ${perPeer(ours)} µs/peer, floor ${perPeer(floor)} µs/peer (100→1,000 → 1,000→5,000); growth relative to the floor ${fmt(relative, 2)}×`,
            met: relative <= TARGETS.marginalGrowth,
          },
        ];
      }),
    ),
  );

  checks.push(
    check(
      `no-op reconcile writes nothing and costs at most ${TARGETS.noopVsObserve}× reading the live state`,
      sizes.map((s) => {
        const w = s.noopWrites;
        const writes = w.restores + w.ipBatches + w.fileWrites + w.signals;
        const r = ratio(s.noop.median, s.observe.median) ?? Infinity;
        return {
          measured: `${label(s)}: ${writes} writes, ${fmt(r, 2)}×`,
          met: writes === 0 && r <= TARGETS.noopVsObserve,
        };
      }),
    ),
  );

  checks.push(
    check(
      "one-peer change writes only that peer's chain (restore input bounded)",
      sizes.map((s) => {
        const c = s.change;
        const only = c.chainsTouched.length === 1 && c.chainsTouched[0] === c.expectedChain;
        return {
          measured: `${label(s)}: ${c.restoreLinesMax} lines/${c.restoreBytesMax} B, chains ${c.chainsTouched.join(',') || '(none)'}`,
          met: only && c.restoreLinesMax <= c.restoreLinesBound,
        };
      }),
    ),
  );

  checks.push(
    check(
      `one-peer change converges within ${TARGETS.changeLatencyMsAt1000} ms of the file save at 1,000 peers`,
      at(1000).map((s) => ({
        measured: `${label(s)}: ${fmt(s.change.latency.median)} ms (median)`,
        met: s.change.latency.median < TARGETS.changeLatencyMsAt1000,
      })),
    ),
  );

  // A full converge writes every part (iptables, routes, addresses) and re-reads each: 3 + 3 + 3.
  const docker = sizes.flatMap((s) => (s.docker === null ? [] : [{ size: s, docker: s.docker }]));
  const all = docker.flatMap((d) => [d.docker.fullExecs, ...d.docker.noopExecs, ...d.docker.changeExecs]);
  checks.push(
    check(
      `docker execs per reconcile constant and ≤ ${TARGETS.dockerExecsPerReconcile}`,
      docker.length === 0
        ? []
        : [
            {
              measured: `no-op ${[...new Set(docker.flatMap((d) => d.docker.noopExecs))].join(',')}, one-peer change ${[...new Set(docker.flatMap((d) => d.docker.changeExecs))].join(',')}, full converge from empty ${[...new Set(docker.map((d) => d.docker.fullExecs))].join(',')} at every size`,
              met:
                Math.max(...all) <= TARGETS.dockerExecsPerReconcile &&
                new Set(
                  docker.map(
                    (d) => `${d.docker.noopExecs.join()}|${d.docker.changeExecs.join()}|${d.docker.fullExecs}`,
                  ),
                ).size === 1,
            },
          ],
    ),
  );

  for (const [peers, limit] of [
    [100, TARGETS.peakRssMBAt100],
    [5000, TARGETS.peakRssMBAt5000],
  ] as const) {
    checks.push(
      check(
        `controller peak RSS under ${limit} MB at ${peers.toLocaleString('en')} peers`,
        at(peers).map((s) => ({
          measured: `${label(s)}: ${fmt(s.memory.peakRssMB, 1)} MB`,
          met: s.memory.peakRssMB < limit,
        })),
      ),
    );
  }

  checks.push(
    check(
      `\`validate\` of the example state starts within ${TARGETS.coldStartRatio}× the time of \`node -e 0\``,
      coldStart === null
        ? []
        : [
            {
              measured: `${fmt(coldStart.validate.median)} ms vs ${fmt(coldStart.nodeBaseline.median)} ms = ${fmt(coldStart.ratio, 2)}× (medians of ${coldStart.validate.runs})`,
              met: coldStart.ratio < TARGETS.coldStartRatio,
            },
          ],
    ),
  );
  checks.push(
    check(
      `full access matrix of a 100-peer cell (every pair) under ${TARGETS.accessMatrixMsAt100} ms from one dump`,
      access === null
        ? []
        : [
            {
              measured: `${access.matrixPairs} pairs: ${fmt(access.matrix100.median)} ms (median of ${access.matrix100.runs})`,
              met: access.matrix100.median < TARGETS.accessMatrixMsAt100,
            },
          ],
    ),
  );
  checks.push(
    check(
      `one explain on a 5,000-peer dump under ${TARGETS.explainMsAt5000} ms once it is read`,
      access === null
        ? []
        : [
            {
              measured: `${fmt(access.explain5000.median, 2)} ms (median of ${access.explain5000.runs})`,
              met: access.explain5000.median < TARGETS.explainMsAt5000,
            },
          ],
    ),
  );
  return checks;
}
