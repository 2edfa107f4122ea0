import type { ApplyCounts } from '../apply/apply-plan.js';
import type { ImperativeRun } from './measure-imperative.js';
import type { Summary } from './stats.js';

/** Everything one `npm run bench` measured, as written to results/*.json. Plain data. */

export interface PhaseMedians {
  readonly observeMs: number;
  readonly planMs: number;
  readonly applyMs: number;
  readonly verifyMs: number;
}

export interface ChangeFigures {
  /** File save → verified convergence, debounce included. */
  readonly latency: Summary;
  /** The controller's pass alone (load, reconcile). */
  readonly pass: Summary;
  /** The reconcile inside the pass (observe … verify), per phase. */
  readonly phases: PhaseMedians;
  readonly restoreLinesMax: number;
  readonly restoreBytesMax: number;
  /** Every chain named by the restore inputs of all runs. */
  readonly chainsTouched: readonly string[];
  /** The changed peer's chain, which must be the only one touched. */
  readonly expectedChain: string;
  /** What the restore input may hold: that peer's rules removed and inserted, plus the table header and COMMIT. */
  readonly restoreLinesBound: number;
  readonly execsMax: number;
  readonly startupMs: number;
}

export interface DockerFigures {
  readonly fullExecs: number;
  readonly fullMs: number;
  readonly noopExecs: readonly number[];
  readonly noop: Summary;
  /** A one-peer change and its undo. */
  readonly changeExecs: readonly number[];
}

export interface MemoryFigures {
  readonly peakRssMB: number;
  readonly rssMB: number;
}

export interface SizeResult {
  readonly peers: number;
  readonly links: number;
  /** Rules in the rendered filter and nat tables. */
  readonly rules: number;
  readonly floor: Summary;
  readonly floorRestoreBytes: number;
  readonly full: Summary;
  readonly fullPhases: PhaseMedians;
  readonly fullExecs: number;
  readonly fullRestoreBytes: number;
  readonly noop: Summary;
  readonly noopExecs: number;
  /** Summed over every no-op run: all must be zero. */
  readonly noopWrites: ApplyCounts;
  readonly observe: Summary;
  readonly change: ChangeFigures;
  readonly docker: DockerFigures | null;
  readonly memory: MemoryFigures;
}

/** `validate` of the example state against `node -e 0`, in the same run (wall time, ms). */
export interface ColdStartFigures {
  readonly validate: Summary;
  readonly nodeBaseline: Summary;
  /** validate's median over the baseline's. */
  readonly ratio: number;
}

/** The packet model (issue 13), ms: the 100-peer matrix (both sides, every pair) and one explain at 5,000 peers. */
export interface AccessFigures {
  readonly matrix100: Summary;
  readonly matrixPairs: number;
  readonly explain5000: Summary;
}

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | null;
}

export interface BenchResult {
  readonly startedAt: string;
  readonly mode: 'quick' | 'full';
  readonly runs: number;
  readonly machine: {
    readonly cpus: number;
    readonly node: string;
    readonly kernel: string;
    readonly iptables: string;
    readonly loadAverage: readonly number[];
  };
  readonly pacing: { readonly debounce_ms: number; readonly min_interval_ms: number };
  readonly sizes: readonly SizeResult[];
  readonly imperative: readonly ImperativeRun[];
  /** Why the Docker scenarios did not run, when they did not. */
  readonly dockerSkipped: string | null;
  readonly coldStart: ColdStartFigures;
  /** Absent in results written before issue 13. */
  readonly access?: AccessFigures;
  readonly targets: readonly TargetCheck[];
}
