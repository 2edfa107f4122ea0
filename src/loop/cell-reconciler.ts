import { failingAccessTests } from '../access/evaluate-access-tests.js';
import { resourceSources } from '../access/rule-provenance.js';
import type { ControllerConfig } from '../config/controller-config.js';
import { layoutOf } from '../config/controller-config.js';
import type { LoadedState } from '../load/loaded-state.js';
import { formatIssue } from '../text/state-issue.js';
import { validateState } from '../load/validate-state.js';
import type { CellTargets } from '../model/cell-targets.js';
import type { DesiredState } from '../model/desired-state.js';
import type { Action } from '../model/plan.js';
import type { HeldBack } from '../pass/held-back.js';
import type { PassResult } from '../model/reconcile-labels.js';
import { ALL_PARTS, observeCell, type Observed } from '../observe/observe-cell.js';
import type { DesiredCounts } from '../status/controller-status.js';
import type { ControllerClock } from './controller-clock.js';
import type { LastGoodMemory } from './last-good-store.js';
import {
  accountFor,
  describeHeldBack,
  heldByFallbacks,
  holdBackUnresolved,
  NO_ACCOUNTING,
  type Accounting,
} from '../pass/held-back.js';
import { collapseDaemonErrors } from './collapse-daemon-errors.js';
import { EMPTY_STATE_GUARD, massDeleteGuard } from '../pass/mass-delete-guard.js';
import { ownNothing } from '../pass/own-nothing.js';
import { reconcileCell, type ReconcileOptions, type ReconcileResult } from '../pass/reconcile-cell.js';
import type { StateFileCache } from './state-file-cache.js';
import { AccessVerifier } from './access-verifier.js';
import type { LoadSummary, ReconcileReport, ReconcileRequest } from '../status/reconcile-report.js';

export type { LoadSummary, ReconcileReport, ReconcileRequest };

export interface ReconcilerDeps {
  readonly config: ControllerConfig;
  readonly targets: CellTargets;
  readonly files: Pick<StateFileCache, 'read'>;
  readonly store: LastGoodMemory;
  readonly allowMassDelete: boolean;
  readonly clock: Pick<ControllerClock, 'date' | 'monotonicMs'>;
}

const NO_COUNTS: DesiredCounts = { peers: 0, links: 0, services: 0 };
/** The desired state of a confirmed empty folder, for drift accounting. */
const NOTHING = Symbol('nothing desired');
type Desired = DesiredState | typeof NOTHING;

type Outcome = Omit<
  ReconcileReport,
  keyof ReconcileRequest | 'startedAt' | 'durationMs' | 'cell' | 'load' | 'storeError'
>;
type LoadFields = Pick<ReconcileReport, 'load' | 'storeError'>;

/** The actions of a pass that count as applied: those apply reports as really written. */
export function appliedActions(result: ReconcileResult): readonly Action[] {
  return result.apply?.applied ?? [];
}

function countsOf(state: DesiredState): DesiredCounts {
  return { peers: state.peers.length, links: state.links.length, services: state.cell.services.length };
}

function stopped(
  result: PassResult,
  message: string,
  counts: DesiredCounts | null,
  guard: string | null = null,
): Outcome {
  return {
    result,
    message,
    unreachable: null,
    counts,
    guard,
    heldBack: null,
    applied: [],
    driftRepaired: false,
    errors: [message],
    warnings: [],
    renderedCorefile: null,
    work: null,
  };
}

/**
 * The reconciler (controller-runtime's Reconcile): one method runs one level-triggered pass —
 * read the state files, validate them (broken files keep their last good version), guard and
 * adjust, then reconcileCell — and returns a report. It never throws, and it touches no
 * metrics and no logger. What it remembers between passes: the last load that had a state
 * (also in the last-good store, across restarts) and the state the cell last converged to.
 */
export class CellReconciler {
  /** The last load that had a state: broken files fall back to it. */
  private previous: LoadedState | null = null;
  /** What the last converged pass reconciled to; actions applied for the same desired state repair drift. */
  private lastConverged: Desired | null = null;
  /** Which file last held each owned chain, so a broken file holds back only what it could own. */
  private accounting: Accounting = NO_ACCOUNTING;
  /** Judges the live access after a converged pass, when the rules it depends on changed. */
  private readonly access: AccessVerifier;

  constructor(private readonly deps: ReconcilerDeps) {
    this.access = new AccessVerifier(layoutOf(deps.config));
  }

  /** Reads the last good state of an earlier run; returns how many files it covers (0: none remembered). */
  async restore(): Promise<number> {
    this.previous = await this.deps.store.read();
    this.accounting = accountFor(NO_ACCOUNTING, this.previous);
    // The earlier run reconciled the cell to this state: unchanged files load as this very object
    // (produce-next), so what the startup pass writes back for it is drift, told like any other.
    this.lastConverged = this.previous?.state ?? null;
    return this.previous?.fileResources.size ?? 0;
  }

  async reconcile(request: ReconcileRequest): Promise<ReconcileReport> {
    const { clock } = this.deps;
    const startedAt = clock.date();
    const t0 = clock.monotonicMs();
    let outcome: Outcome & LoadFields;
    try {
      outcome = await this.run();
    } catch (error) {
      // Only reading the folder can throw (reconcileCell and the store report their failures).
      const message = error instanceof Error ? error.message : String(error);
      outcome = { ...stopped('error', message, null), load: null, storeError: null };
    }
    return {
      ...request,
      startedAt,
      durationMs: Math.round(clock.monotonicMs() - t0),
      cell: this.previous?.state?.cell.name ?? null,
      ...outcome,
    };
  }

  private async run(): Promise<Outcome & LoadFields> {
    const { config, targets } = this.deps;
    // Reading the cell does not depend on the state files: both go at once; only the api lookup
    // waits for the Cell's ip_range. (observeCell never rejects.)
    let ipRangeLoaded: (ipRange: string | null) => void = () => undefined;
    const observation = observeCell(
      targets,
      layoutOf(config),
      ALL_PARTS,
      new Promise((resolve) => (ipRangeLoaded = resolve)),
    );
    const { loaded, empty } = await this.load().catch((error: unknown) => {
      ipRangeLoaded(null);
      throw error;
    });
    ipRangeLoaded((loaded.state ?? this.previous?.state ?? null)?.cell.ip_range ?? null);
    const load: LoadSummary = {
      issues: loaded.issues,
      fallbackFiles: loaded.fallbackFiles,
      unresolvedFiles: loaded.unresolvedFiles,
    };
    if (empty) return { ...(await this.reconcileEmptied(observation)), load, storeError: null };
    if (loaded.state === null) {
      return {
        ...stopped(
          'invalid_state',
          'no valid Cell resource in the state directory and none remembered; nothing applied',
          null,
        ),
        load,
        storeError: null,
      };
    }
    // The AccessTest gate: a state whose tests fail is neither applied nor remembered as last good.
    const failingTests = failingAccessTests(loaded.state, resourceSources(loaded), layoutOf(config)).map(formatIssue);
    if (failingTests.length > 0) {
      const message = `${failingTests.length} access test${failingTests.length === 1 ? '' : 's'} fail; nothing applied: ${failingTests.join('; ')}`;
      return { ...stopped('refused', message, countsOf(loaded.state)), errors: failingTests, load, storeError: null };
    }
    this.previous = loaded;
    const storeError = await this.deps.store.write(loaded);
    const state = loaded.state;
    this.accounting = accountFor(this.accounting, loaded);
    const unresolved = loaded.unresolvedFiles.length > 0 ? holdBackUnresolved(loaded, this.accounting) : null;
    const result = await reconcileCell(state, targets, layoutOf(config), {
      ...this.guard(),
      ...(unresolved === null ? {} : { adjust: unresolved.adjust }),
      observation,
      now: () => this.deps.clock.monotonicMs(),
    });
    const heldBack = [...heldByFallbacks(loaded), ...(unresolved?.held() ?? [])];
    const { observed, facts } = await observation;
    const access = this.access.check(state, facts, result, observed);
    return {
      ...this.outcomeOf(result, state, countsOf(state), heldBack),
      ...(access === null ? {} : { access }),
      load,
      storeError,
    };
  }

  /** The load step: the state files now, validated against the last good versions. */
  private async load(): Promise<{ readonly loaded: LoadedState; readonly empty: boolean }> {
    const { files } = await this.deps.files.read();
    return {
      loaded: validateState(files, this.previous === null ? {} : { previous: this.previous }),
      empty: files.length === 0,
    };
  }

  /** The mass-delete guard, unless mass deletes are allowed. */
  private guard(): Pick<ReconcileOptions, 'guard'> {
    const { config } = this.deps;
    return this.deps.allowMassDelete
      ? {}
      : { guard: (plan, observed) => massDeleteGuard(plan, observed, config.max_delete_share) };
  }

  /** An empty folder looks like an unmounted volume: applied only when confirmed, and then it removes everything we own. */
  private async reconcileEmptied(observation: Promise<Observed>): Promise<Outcome> {
    if (!this.deps.allowMassDelete) return stopped('refused', EMPTY_STATE_GUARD, NO_COUNTS, EMPTY_STATE_GUARD);
    // reconcileCell renders a state; the last good one is only a carrier here, ownNothing replaces the whole target.
    const carrier = this.previous?.state ?? null;
    if (carrier === null)
      return stopped(
        'invalid_state',
        'the state directory is empty and nothing is remembered; nothing applied',
        NO_COUNTS,
      );
    const result = await reconcileCell(carrier, this.deps.targets, layoutOf(this.deps.config), {
      adjust: ownNothing,
      observation,
      now: () => this.deps.clock.monotonicMs(),
    });
    return this.outcomeOf(result, NOTHING, NO_COUNTS, []);
  }

  private outcomeOf(
    result: ReconcileResult,
    desired: Desired,
    counts: DesiredCounts,
    heldBack: readonly HeldBack[],
  ): Outcome {
    const applied = appliedActions(result);
    const driftRepaired = desired === this.lastConverged && applied.length > 0;
    if (result.converged) this.lastConverged = desired;
    const label: PassResult =
      result.refused !== null
        ? 'refused'
        : !result.converged
          ? 'not_converged'
          : heldBack.length > 0
            ? 'degraded'
            : 'converged';
    return {
      result: label,
      message:
        result.refused ?? (label === 'degraded' ? describeHeldBack(heldBack) : result.errors.slice(0, 5).join('; ')),
      unreachable: result.plan.skipped.map((s) => s.error),
      counts,
      guard: result.refused,
      heldBack,
      applied,
      driftRepaired,
      errors: collapseDaemonErrors(result.errors),
      warnings: result.plan.warnings ?? [],
      renderedCorefile: result.rendered.corefile,
      work: { planned: result.plan.actions.length, writes: result.apply?.counts ?? null, timings: result.timings },
    };
  }
}
