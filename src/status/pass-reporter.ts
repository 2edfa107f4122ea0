import { ControllerMetrics, triggerKind } from './metrics.js';
import { formatIssue, type StateIssue } from '../text/state-issue.js';
import type { Action } from '../model/plan.js';
import type { ReconcileReport, ReconcileRequest } from './reconcile-report.js';
import { otherBackendRules } from '../access/format-access-matrix.js';
import { ownBackend } from '../parse/parse-iptables-backends.js';
import {
  INITIAL_STATUS,
  withAccessCheck,
  withLoadResult,
  withPassReport,
  type ControllerStatus,
} from './controller-status.js';
import type { Logger } from 'pino';
import { restoredRules, withRecentActivity, type DriftRepair } from './recent-activity.js';

/** The wall clock the reporter reads for timestamps (the controller's clock is one). */
export interface WallClock {
  date(): Date;
}

/** Told after each recorded pass: the status before and after it, and the drift repairs by kind (the notifier listens). */
export type PassListener = (
  previous: ControllerStatus,
  next: ControllerStatus,
  driftRepairs: Readonly<Record<string, number>>,
) => void;

/** Errors listed in /status and in a log line for one reconcile; the count is in the message. */
const MAX_PASS_ERRORS = 20;

function countByKind(actions: readonly Action[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const action of actions) counts[action.kind] = (counts[action.kind] ?? 0) + 1;
  return counts;
}

/** What an action is about, for the drift log line. */
export function subjectOf(action: Action): string {
  switch (action.kind) {
    case 'add-address':
    case 'delete-address':
      return action.address.address;
    case 'add-policy-rule':
    case 'delete-policy-rule':
      return `rule from ${action.rule.src} lookup ${action.rule.table}`;
    case 'add-route':
    case 'delete-route':
      return `route ${action.route.dst} table ${action.route.table}`;
    case 'write-corefile':
      return 'Corefile';
    default:
      return `${action.table}/${action.chain}`;
  }
}

function boundedErrors(errors: readonly string[]): readonly string[] {
  return errors.length <= MAX_PASS_ERRORS
    ? errors
    : [...errors.slice(0, MAX_PASS_ERRORS), `… and ${errors.length - MAX_PASS_ERRORS} more`];
}

/**
 * Turns reconcile reports into metrics, `/status` (through the pure functions of
 * controller-status.ts) and log lines: one line per pass, one per drift repair, and the
 * file errors each time their set changes. Every line of a pass carries its reconcile id.
 */
export class PassReporter {
  readonly metrics = new ControllerMetrics();
  private current: ControllerStatus = INITIAL_STATUS;
  private loggedIssues = '';
  /** Warnings already logged: each is logged once, not on every resync. */
  private loggedWarnings = new Set<string>();
  private loggedDivergence = '';

  constructor(
    private readonly logger: Logger,
    private readonly clock: WallClock,
    private readonly listener: PassListener | null = null,
  ) {}

  status(): ControllerStatus {
    return this.current;
  }

  /** The last good state of an earlier run could not be used: logged once, and kept in /status. */
  lastGoodDropped(error: string | null): void {
    if (error !== null) this.logger.warn({ lastGoodError: error }, 'remembered last good state dropped');
    this.current = { ...this.current, lastGoodError: error };
  }

  started(request: ReconcileRequest): void {
    this.logger.child({ reconcile: request.id }).debug({ trigger: request.triggers }, 'reconcile started');
  }

  record(report: ReconcileReport): void {
    const log = this.logger.child({ reconcile: report.id });
    const { metrics } = this;
    const now = this.clock.date();
    const previous = this.current;
    const repairs: DriftRepair[] = [];
    if (report.load !== null) {
      this.noteIssues(report.load.issues, log);
      this.current = withLoadResult(this.current, report.load.issues, now);
      metrics.stateErrors.set(report.load.issues.length);
    }
    if (report.storeError !== null) log.warn(report.storeError);
    if (report.work !== null) this.noteWarnings(report.warnings, log);
    for (const action of report.applied) {
      metrics.actionsApplied.inc({ kind: action.kind });
      if (!report.driftRepaired) continue;
      metrics.driftRepairs.inc({ kind: action.kind });
      const repair = { kind: action.kind, subject: subjectOf(action), reason: action.reason };
      log.info(repair, 'drift repaired');
      repairs.push({ time: now.toISOString(), reconcile: report.id, ...repair, rules: restoredRules(action) });
    }
    const { result } = report;
    const converged = result === 'converged';
    if (converged) metrics.lastSuccess.set(now.getTime() / 1000);
    metrics.reconciles.inc({ result, trigger: triggerKind(report.triggers[0] ?? 'resync') });
    metrics.duration.observe(report.durationMs / 1000);
    metrics.ready.set(converged ? 1 : 0);
    metrics.massDeleteBlocked.set(report.guard === null ? 0 : 1);
    if (report.heldBack !== null) metrics.setHeldBack(report.heldBack);
    if (report.counts !== null) {
      metrics.desiredResources.set({ kind: 'Peer' }, report.counts.peers);
      metrics.desiredResources.set({ kind: 'CellLink' }, report.counts.links);
      metrics.desiredResources.set({ kind: 'Service' }, report.counts.services);
    }
    const errors = boundedErrors(report.errors);
    const actions = countByKind(report.applied);
    this.current = withPassReport(
      this.current,
      {
        result,
        message: report.message,
        unreachable: report.unreachable,
        counts: report.counts,
        guard: report.guard,
        heldBack: report.heldBack,
        reconcile: {
          id: report.id,
          triggers: report.triggers,
          startedAt: report.startedAt.toISOString(),
          durationMs: report.durationMs,
          converged,
          result,
          actions,
          errors,
        },
      },
      now,
    );
    if (report.access !== undefined) this.noteAccess(report, log, now);
    const summary = {
      id: report.id,
      triggers: report.triggers,
      startedAt: report.startedAt.toISOString(),
      durationMs: report.durationMs,
      result,
      actions,
    };
    this.current = {
      ...this.current,
      cell: report.cell ?? this.current.cell,
      ...withRecentActivity(this.current, summary, repairs),
    };
    this.listener?.(previous, this.current, report.driftRepaired ? actions : {});
    const line = {
      trigger: report.triggers,
      durationMs: report.durationMs,
      result,
      converged,
      actions,
      ...report.work,
    };
    if (converged) log.info(line, 'reconcile converged');
    else if (result === 'degraded')
      log.warn({ ...line, heldBack: report.heldBack }, `reconcile degraded: ${report.message}`);
    else if (result === 'refused' && report.guard !== null)
      log.warn({ ...line, refused: report.guard }, 'reconcile held back by the mass-delete guard');
    else if (result === 'refused') log.warn({ ...line, errors }, `reconcile refused: ${report.message}`);
    else log.error({ ...line, errors }, 'reconcile not converged');
  }

  /** AccessDiverged and its gauge; a change in the diverged pairs is logged once. */
  private noteAccess(report: ReconcileReport, log: Logger, now: Date): void {
    const access = report.access;
    if (access === undefined) return;
    const { check, backend } = access;
    this.metrics.accessDiverged.set(check.diverged.length);
    const other = backend?.other ?? null;
    this.current = withAccessCheck(
      this.current,
      check,
      {
        writes: backend === null ? null : ownBackend(backend),
        other: other?.name ?? null,
        otherRules: other === null ? [] : otherBackendRules(other.iptables),
      },
      now,
    );
    this.current = { ...this.current, matrix: access.matrix };
    const key = this.current.access?.diverged.join('\n') ?? '';
    if (key === this.loggedDivergence) return;
    this.loggedDivergence = key;
    if (check.diverged.length > 0)
      log.warn(
        { diverged: this.current.access?.diverged },
        `access diverged: ${check.diverged.length} pair(s) decided by rules the controller does not own`,
      );
    else log.info('access matches the desired state');
  }

  /** Logs each warning once while it lasts; one that goes away and comes back is logged again. */
  private noteWarnings(warnings: readonly string[], log: Logger): void {
    for (const warning of warnings)
      if (!this.loggedWarnings.has(warning)) log.warn({ warning }, `left as it is: ${warning}`);
    this.loggedWarnings = new Set(warnings);
  }

  /** Logs every file error once when the set of errors changes (not again on every resync). */
  private noteIssues(issues: readonly StateIssue[], log: Logger): void {
    const key = issues.map(formatIssue).join('\n');
    if (key === this.loggedIssues) return;
    this.loggedIssues = key;
    for (const issue of issues)
      log.warn({ file: issue.file, pointer: issue.pointer }, `state error: ${formatIssue(issue)}`);
    if (issues.length === 0) log.info('state errors cleared');
  }
}
