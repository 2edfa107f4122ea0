import { rm } from 'node:fs/promises';
import type { ApplyCounts } from '../apply/apply-plan.js';
import type { LayoutConfig } from '../model/facts.js';
import { formatIptablesSave } from '../render/format-iptables-save.js';
import { peerChainName } from '../model/chain-names.js';
import { renderCell } from '../render/render-cell.js';
import type { PhaseMedians, SizeResult } from './bench-result.js';
import { writeSyntheticState } from './load-synthetic.js';
import { measureChange } from './measure-change.js';
import { measureDocker } from './measure-docker.js';
import { measureFloor } from './measure-floor.js';
import { measureMemory } from './measure-memory.js';
import { measureReconcile, type PassRun } from './measure-reconcile.js';
import { BARE_API_IP } from '../testbed/bare-cell.js';
import { summarize } from './stats.js';
import { peerIp, type CellSize } from './synthetic-state.js';

export interface SizeOptions {
  readonly runs: number;
  readonly layout: LayoutConfig;
  /** The test image, or null to skip the Docker scenario. */
  readonly image: string | null;
  readonly progress: (line: string) => void;
}

function phases(runs: readonly { readonly timings: PhaseMedians }[]): PhaseMedians {
  const median = (key: keyof PhaseMedians): number => summarize(runs.map((r) => r.timings[key])).median;
  return {
    observeMs: median('observeMs'),
    planMs: median('planMs'),
    applyMs: median('applyMs'),
    verifyMs: median('verifyMs'),
  };
}

function sumWrites(runs: readonly PassRun[]): ApplyCounts {
  return runs.reduce(
    (sum, r) => ({
      restores: sum.restores + r.writes.restores,
      ipBatches: sum.ipBatches + r.writes.ipBatches,
      fileWrites: sum.fileWrites + r.writes.fileWrites,
      signals: sum.signals + r.writes.signals,
    }),
    { restores: 0, ipBatches: 0, fileWrites: 0, signals: 0 },
  );
}

/** Every scenario for one cell size; floor and full converge alternate run by run, so noise hits both alike. */
export async function measureSize(size: CellSize, options: SizeOptions): Promise<SizeResult> {
  const { runs, layout, progress } = options;
  const { dir, state } = await writeSyntheticState(size);
  try {
    const rendered = renderCell(state, { apiIp: BARE_API_IP }, layout);
    const floorInput = formatIptablesSave(rendered.iptables);
    const floor: number[] = [];
    const reconciles = [];
    for (let r = 0; r < runs; r++) {
      floor.push(await measureFloor(floorInput));
      reconciles.push(await measureReconcile(state));
    }
    progress(`floor, full converge, no-op: ${runs} runs`);
    const change = await measureChange(size, dir, runs);
    progress(`one-peer change: ${runs} runs`);
    const memory = await measureMemory(dir);
    progress(`controller process: peak RSS ${memory.peakRssMB.toFixed(1)} MB`);
    const docker = options.image === null ? null : await measureDocker(state, options.image, runs);
    if (docker !== null)
      progress(
        `docker execs: ${docker.full.execs} full converge, ${docker.noop.map((n) => n.execs).join('/')} no-op, ${docker.change.map((n) => n.execs).join('/')} one-peer change`,
      );

    const changedIndex = Math.floor(size.peers / 2);
    const onePeerRules = Math.max(
      ...rendered.iptables.filter.chains.filter((c) => c.name.startsWith('PIC-PEER-')).map((c) => c.rules.length),
      0,
    );
    const full = reconciles.map((r) => r.full);
    const noop = reconciles.flatMap((r) => r.noop);
    return {
      peers: size.peers,
      links: size.links,
      rules: [rendered.iptables.filter, rendered.iptables.nat].reduce(
        (n, table) => n + table.jumps.length + table.chains.reduce((m, c) => m + c.rules.length, 0),
        0,
      ),
      floor: summarize(floor),
      floorRestoreBytes: Buffer.byteLength(floorInput),
      full: summarize(full.map((r) => r.ms)),
      fullPhases: phases(full),
      fullExecs: Math.max(...full.map((r) => r.execs)),
      fullRestoreBytes: Math.max(...full.map((r) => r.restoreBytes)),
      noop: summarize(noop.map((r) => r.ms)),
      noopExecs: Math.max(...noop.map((r) => r.execs)),
      noopWrites: sumWrites(noop),
      observe: summarize(reconciles.flatMap((r) => r.observeMs)),
      change: {
        latency: summarize(change.runs.map((r) => r.ms)),
        pass: summarize(change.runs.map((r) => r.passMs)),
        phases: phases(change.runs),
        restoreLinesMax: Math.max(...change.runs.map((r) => r.restoreLines)),
        restoreBytesMax: Math.max(...change.runs.map((r) => r.restoreBytes)),
        chainsTouched: [...new Set(change.runs.flatMap((r) => r.chainsTouched))],
        expectedChain: peerChainName(peerIp(changedIndex)),
        restoreLinesBound: 2 * onePeerRules + 2,
        execsMax: Math.max(...change.runs.map((r) => r.execs)),
        startupMs: change.startupMs,
      },
      docker:
        docker === null
          ? null
          : {
              fullExecs: docker.full.execs,
              fullMs: docker.full.ms,
              noopExecs: docker.noop.map((r) => r.execs),
              noop: summarize(docker.noop.map((r) => r.ms)),
              changeExecs: docker.change.map((r) => r.execs),
            },
      memory: { peakRssMB: memory.peakRssMB, rssMB: memory.rssMB },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
