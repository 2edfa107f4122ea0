import type { BenchResult, SizeResult } from './bench-result.js';
import type { ImperativeRun } from './measure-imperative.js';

/** Where a full run writes its summary in the README; the text between the markers is replaced. */
export const SUMMARY_START = '<!-- bench-summary:start (written by npm run bench) -->';
export const SUMMARY_END = '<!-- bench-summary:end -->';

const median = (n: number): string => n.toFixed(0);

function row(s: SizeResult): string {
  const docker =
    s.docker === null
      ? '–'
      : `${s.docker.fullExecs} / ${Math.max(...s.docker.noopExecs)} / ${Math.max(...s.docker.changeExecs)}`;
  return `| ${s.peers} | ${s.links} | ${median(s.floor.median)} | ${median(s.full.median)} (${(s.full.median / s.floor.median).toFixed(2)}×) | ${median(s.noop.median)} (${(s.noop.median / s.observe.median).toFixed(2)}×) | ${median(s.change.latency.median)} | ${docker} | ${s.memory.peakRssMB.toFixed(0)} |`;
}

/** The README's short table: medians in ms, ratios to the floor and to reading the live state. Pure. */
export function formatSummary(result: BenchResult): string {
  const met = result.targets.filter((t) => t.met === true).length;
  return [
    `Latest full run, ${result.startedAt.slice(0, 10)} (${result.machine.cpus} CPUs, node ${result.machine.node}); medians of ${result.runs} runs, ms.`,
    '',
    '| peers | links | floor | full converge (×floor) | no-op (×observe) | one-peer change, save → verified | docker execs full / no-op / change | peak RSS MB |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...result.sizes.map(row),
    '',
    ...result.imperative.map((run) => imperativeLine(result, run)),
    `Targets of issue 7 met: ${met} of ${result.targets.length}.`,
  ].join('\n');
}

/** The old module's way on the same kind of target, against our full converge of the same cell. */
function imperativeLine(result: BenchResult, run: ImperativeRun): string {
  const size = result.sizes.find((s) => s.peers === run.peers && s.links === 10);
  const ours = run.where === 'netns' ? size?.full.median : size?.docker?.fullMs;
  const how = run.where === 'netns' ? 'in a namespace' : 'with docker exec';
  const against = ours === undefined ? '' : `; ours ${median(ours)} ms (${(run.ms / ours).toFixed(0)}× faster)`;
  return `The old module's way ${how}, ${run.peers} peers: ${run.processes} processes, ${median(run.ms)} ms${against}.  `;
}

/** `text` with the block between the summary markers replaced; null when the markers are missing. */
export function replaceSummary(text: string, summary: string): string | null {
  const start = text.indexOf(SUMMARY_START);
  const end = text.indexOf(SUMMARY_END);
  if (start < 0 || end < start) return null;
  return `${text.slice(0, start + SUMMARY_START.length)}\n${summary}\n${text.slice(end)}`;
}
