import type { BenchResult, SizeResult } from './bench-result.js';
import type { Summary } from './stats.js';

/** The bench's tables in Markdown. Pure. */

const ms = (s: Summary): string => `${s.median.toFixed(0)} [${s.min.toFixed(0)}–${s.max.toFixed(0)}]`;
const times = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}×` : '–');

function timingRow(s: SizeResult): string {
  return `| ${s.peers} | ${s.links} | ${s.rules} | ${ms(s.floor)} | ${ms(s.full)} | ${times(s.full.median, s.floor.median)} | ${ms(s.noop)} | ${ms(s.observe)} | ${times(s.noop.median, s.observe.median)} | ${ms(s.change.latency)} | ${ms(s.change.pass)} |`;
}

function writesRow(s: SizeResult): string {
  const w = s.noopWrites;
  const docker =
    s.docker === null
      ? '– | – | –'
      : `${s.docker.fullExecs} / ${[...new Set(s.docker.noopExecs)].join(',')} / ${[...new Set(s.docker.changeExecs)].join(',')} | ${s.docker.fullMs.toFixed(0)} | ${ms(s.docker.noop)}`;
  const chains =
    s.change.chainsTouched.length === 1 && s.change.chainsTouched[0] === s.change.expectedChain
      ? 'that peer’s only'
      : s.change.chainsTouched.join(', ');
  return `| ${s.peers} | ${s.links} | ${w.restores}/${w.ipBatches}/${w.fileWrites}/${w.signals} | ${s.noopExecs} | ${s.change.restoreLinesMax} lines, ${s.change.restoreBytesMax} B (${chains}) | ${(s.fullRestoreBytes / 1e6).toFixed(2)} MB | ${docker} | ${s.memory.peakRssMB.toFixed(1)} |`;
}

function phaseRow(s: SizeResult): string {
  const f = s.fullPhases;
  const c = s.change.phases;
  const p = (n: number): string => n.toFixed(0);
  return `| ${s.peers} | ${s.links} | ${p(f.observeMs)} / ${p(f.planMs)} / ${p(f.applyMs)} / ${p(f.verifyMs)} | ${p(c.observeMs)} / ${p(c.planMs)} / ${p(c.applyMs)} / ${p(c.verifyMs)} | ${(s.change.pass.median - (c.observeMs + c.planMs + c.applyMs + c.verifyMs)).toFixed(0)} | ${(s.change.latency.median - s.change.pass.median).toFixed(0)} |`;
}

export function formatReport(result: BenchResult): string {
  const m = result.machine;
  const lines = [
    `Run ${result.startedAt} (${result.mode}, ${result.runs} runs per figure): ${m.cpus} CPUs, node ${m.node}, kernel ${m.kernel}, ${m.iptables}, load average at start ${m.loadAverage.map((l) => l.toFixed(2)).join(' ')}.`,
    `Controller pacing: debounce_ms ${result.pacing.debounce_ms}, min_interval_ms ${result.pacing.min_interval_ms} (the defaults). Times in ms: median [min–max]; no-op and observe have three samples per run.`,
    '',
    '**Time on a namespace cell** (floor: iptables-save + one iptables-restore --noflush of the final ruleset + iptables-save; full converge: observe, plan, apply, verify from empty namespaces; no-op: the same pass on the converged cell; observe: reading the live state only; change: one peer edited, from file save to verified convergence, and the controller pass inside it)',
    '',
    '| peers | links | rules | floor | full converge | ×floor | no-op | observe | ×observe | one-peer change | change pass |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...result.sizes.map(timingRow),
    '',
    '**Writes, processes, memory** (no-op writes summed over every run: restores/ip batches/file writes/signals; docker execs per reconcile: full converge / no-op / one-peer change; peak RSS of `node dist/cli/main.js run` holding the cell, VmHWM)',
    '',
    '| peers | links | no-op writes | no-op execs | one-peer change restore input | full converge restore input | docker execs | docker full ms | docker no-op ms | peak RSS MB |',
    '|---:|---:|---|---:|---|---:|---:|---:|---:|---:|',
    ...result.sizes.map(writesRow),
    '',
    '**Where the time goes** (medians, ms: observe / plan / apply / verify; "load" is the rest of the controller pass: reading and validating the state files; "watch" is save → pass start: file events and debounce)',
    '',
    '| peers | links | full converge | one-peer change | load | watch |',
    '|---:|---:|---|---|---:|---:|',
    ...result.sizes.map(phaseRow),
    '',
    '**The imperative way** (the seed: one process per rule, on a fresh target; compared with the full converge of the same cell on the same kind of target)',
    '',
    '| where | peers | processes | ms | rules in FORWARD | ours (full converge) | ratio |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...result.imperative.map((run) => {
      const size = result.sizes.find((s) => s.peers === run.peers && s.links === 10);
      const ours = run.where === 'netns' ? size?.full.median : size?.docker?.fullMs;
      return `| ${run.where === 'netns' ? 'namespace (ip netns exec)' : 'container (docker exec)'} | ${run.peers} | ${run.processes} | ${run.ms.toFixed(0)} | ${run.forwardRules} | ${ours === undefined ? '–' : ours.toFixed(0)} | ${ours === undefined ? '–' : `${(run.ms / ours).toFixed(0)}×`} |`;
    }),
    ...(result.dockerSkipped === null ? [] : ['', `Docker scenarios skipped: ${result.dockerSkipped}`]),
    '',
    `**Cold start** (wall time, ms, median [min–max] of ${result.coldStart.validate.runs}, alternated): \`node dist/cli/main.js validate --state state\` ${ms(result.coldStart.validate)}, \`node -e 0\` ${ms(result.coldStart.nodeBaseline)}: ${result.coldStart.ratio.toFixed(2)}×.`,
    ...(result.access === undefined
      ? []
      : [
          '',
          `**Packet model** (ms, median [min–max]): the full access matrix of a 100-peer cell, ${result.access.matrixPairs} pairs, ${ms(result.access.matrix100)}; one explain on a 5,000-peer dump ${result.access.explain5000.median.toFixed(2)} [${result.access.explain5000.min.toFixed(2)}–${result.access.explain5000.max.toFixed(2)}].`,
        ]),
    '',
    '**Targets** (issue 7)',
    '',
    '| target | measured | met |',
    '|---|---|---|',
    ...result.targets.map(
      (t) => `| ${t.target} | ${t.measured} | ${t.met === null ? '–' : t.met ? 'yes' : '**no**'} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
