/**
 * What `/status` reports: Kubernetes-style conditions, the last reconcile and every file error.
 * Plain data; the controller replaces it after each load and each pass through the pure
 * functions below. A condition's lastTransitionTime changes only when its status does.
 */

import { describeDivergence, type AccessCheck } from '../access/access-divergence.js';
import type { StateIssue } from '../text/state-issue.js';
import type { HeldBack } from '../pass/held-back.js';
import type { PassResult } from '../model/reconcile-labels.js';
import type { AccessMatrixView } from '../model/access-matrix-view.js';
import type { RecentActivity } from './recent-activity.js';

export type { PassResult };

export type ConditionType = 'Ready' | 'StateValid' | 'TargetsReachable' | 'Degraded' | 'AccessDiverged';
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  readonly type: ConditionType;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
}

export interface LastReconcile {
  readonly id: string;
  readonly triggers: readonly string[];
  readonly startedAt: string;
  readonly durationMs: number;
  readonly converged: boolean;
  /** How the pass ended; `converged` is true only for `converged`. */
  readonly result: PassResult;
  readonly actions: Readonly<Record<string, number>>;
  readonly errors: readonly string[];
}

export interface DesiredCounts {
  readonly peers: number;
  readonly links: number;
  readonly services: number;
}

export interface ControllerStatus extends RecentActivity {
  /** The Cell's name from the state; null before a state was loaded. */
  readonly cell: string | null;
  readonly conditions: readonly Condition[];
  readonly lastReconcile: LastReconcile | null;
  readonly fileErrors: readonly StateIssue[];
  readonly counts: DesiredCounts;
  readonly massDeleteGuard: { readonly blocked: boolean; readonly reason: string | null };
  /** What broken files keep from being changed or deleted right now; Ready is False while any. */
  readonly heldBack: readonly HeldBack[];
  /** Why the remembered last good state could not be used at startup, or null. */
  readonly lastGoodError: string | null;
  /** Who reaches what by the live rules, differences to the desired state marked; null when not computed. */
  readonly matrix: AccessMatrixView | null;
  /** The last effective-access check: diverged pairs, and the other iptables backend's rules; null before one ran. */
  readonly access: AccessStatus | null;
}

export interface AccessStatus {
  readonly checkedPairs: number;
  readonly totalPairs: number;
  readonly diverged: readonly string[];
  /** The iptables backend our rules are in (null: the target has one), the other one, and every rule it holds, as `table -A CHAIN rule`. */
  readonly backend: {
    readonly writes: string | null;
    readonly other: string | null;
    readonly otherRules: readonly string[];
  };
}

/** Pairs and rules listed in /status; the counts say how many in all. */
const MAX_LISTED = 50;

export const INITIAL_STATUS: ControllerStatus = {
  conditions: (['Ready', 'StateValid', 'TargetsReachable', 'Degraded', 'AccessDiverged'] as const).map((type) => ({
    type,
    status: 'Unknown',
    reason: 'Starting',
    message: 'no reconcile has run yet',
    lastTransitionTime: new Date(0).toISOString(),
  })),
  lastReconcile: null,
  fileErrors: [],
  counts: { peers: 0, links: 0, services: 0 },
  massDeleteGuard: { blocked: false, reason: null },
  heldBack: [],
  lastGoodError: null,
  cell: null,
  recentPasses: [],
  recentRepairs: [],
  matrix: null,
  access: null,
};

/** Sets one condition, keeping its lastTransitionTime unless the status changed. */
export function setCondition(
  conditions: readonly Condition[],
  next: Omit<Condition, 'lastTransitionTime'>,
  now: Date,
): Condition[] {
  return conditions.map((c) =>
    c.type !== next.type
      ? c
      : { ...next, lastTransitionTime: c.status === next.status ? c.lastTransitionTime : now.toISOString() },
  );
}

export function conditionOf(status: ControllerStatus, type: ConditionType): Condition | undefined {
  return status.conditions.find((c) => c.type === type);
}

export function isReady(status: ControllerStatus): boolean {
  return conditionOf(status, 'Ready')?.status === 'True';
}

/** After loading the state folder: StateValid and the list of file errors. */
export function withLoadResult(status: ControllerStatus, issues: readonly StateIssue[], now: Date): ControllerStatus {
  const valid = issues.length === 0;
  return {
    ...status,
    conditions: setCondition(
      status.conditions,
      valid
        ? { type: 'StateValid', status: 'True', reason: 'Valid', message: 'every state file is valid' }
        : {
            type: 'StateValid',
            status: 'False',
            reason: 'FileErrors',
            message: `${issues.length} error(s); the resources of broken files keep their last good version`,
          },
      now,
    ),
    fileErrors: issues,
  };
}

/** One finished pass, as the status needs it. */
export interface PassReport {
  readonly result: PassResult;
  /** Why the cell is not ready (the guard's words, the first errors); ignored when converged. */
  readonly message: string;
  /** Parts that could not be observed; null when nothing was observed (TargetsReachable is then kept). */
  readonly unreachable: readonly string[] | null;
  /** The desired resource counts; null keeps the previous ones. */
  readonly counts: DesiredCounts | null;
  readonly guard: string | null;
  /** What broken files held back in this pass; null keeps the previous list (nothing was planned). */
  readonly heldBack: readonly HeldBack[] | null;
  readonly reconcile: LastReconcile;
}

const NOT_READY_REASON: Record<Exclude<PassResult, 'converged'>, string> = {
  degraded: 'Degraded',
  not_converged: 'NotConverged',
  refused: 'MassDeleteGuard',
  invalid_state: 'NoValidState',
  error: 'ReconcileError',
};

/** After a pass: Ready, TargetsReachable, the guard, the counts and the last reconcile. */
export function withPassReport(status: ControllerStatus, report: PassReport, now: Date): ControllerStatus {
  let conditions = setCondition(
    status.conditions,
    report.result === 'converged'
      ? { type: 'Ready', status: 'True', reason: 'Converged', message: 'the live cell matches the desired state' }
      : { type: 'Ready', status: 'False', reason: NOT_READY_REASON[report.result], message: report.message },
    now,
  );
  if (report.unreachable !== null) {
    conditions = setCondition(
      conditions,
      report.unreachable.length === 0
        ? { type: 'TargetsReachable', status: 'True', reason: 'Reachable', message: 'every target answered' }
        : { type: 'TargetsReachable', status: 'False', reason: 'Unreachable', message: report.unreachable.join('; ') },
      now,
    );
  }
  const heldBack = report.heldBack ?? status.heldBack;
  conditions = setCondition(
    conditions,
    heldBack.length === 0
      ? { type: 'Degraded', status: 'False', reason: 'NothingHeldBack', message: 'no broken file holds back a change' }
      : {
          type: 'Degraded',
          status: 'True',
          reason: 'HeldBack',
          message: heldBack.map((h) => `${h.file}: ${h.resources.join(', ')}`).join('; '),
        },
    now,
  );
  return {
    ...status,
    conditions,
    heldBack,
    counts: report.counts ?? status.counts,
    massDeleteGuard: { blocked: report.guard !== null, reason: report.guard },
    lastReconcile: report.reconcile,
  };
}

/**
 * After an access check: AccessDiverged names the pairs the live rules decide otherwise than the
 * rendered ones, and the rule that decided. Ready is left as the rule-text verdict: the rules we
 * own are converged, and what diverges is a rule we do not own and must not repair, so making
 * Ready False would only back the loop off from work it has done; this condition and the
 * pic_access_diverged_pairs gauge are what an operator alerts on.
 */
export function withAccessCheck(
  status: ControllerStatus,
  check: AccessCheck,
  backend: AccessStatus['backend'],
  now: Date,
): ControllerStatus {
  const diverged = check.diverged.map(describeDivergence);
  const coverage =
    check.checked === check.total ? `all ${check.total} pairs` : `${check.checked} of ${check.total} pairs`;
  const conditions = setCondition(
    status.conditions,
    diverged.length === 0
      ? {
          type: 'AccessDiverged',
          status: 'False',
          reason: 'AccessMatches',
          message: `the live rules give the access the desired state implies (${coverage} checked)`,
        }
      : {
          type: 'AccessDiverged',
          status: 'True',
          reason: 'ForeignRuleDecides',
          message: `${diverged.length} pair(s) differ (${coverage} checked): ${diverged.slice(0, 5).join('; ')}`,
        },
    now,
  );
  return {
    ...status,
    conditions,
    access: {
      checkedPairs: check.checked,
      totalPairs: check.total,
      diverged: diverged.slice(0, MAX_LISTED),
      backend: { ...backend, otherRules: backend.otherRules.slice(0, MAX_LISTED) },
    },
  };
}
