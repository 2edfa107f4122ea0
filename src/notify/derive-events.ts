import { formatIssue } from '../text/state-issue.js';
import type { ControllerStatus } from '../status/controller-status.js';
import type { NotifyEvent } from './notify-event.js';

/** What the reporter knows after a load or a pass; the status plus what it does not hold. */
export interface NotifyInput {
  readonly status: ControllerStatus;
  /** Actions applied while the desired state was unchanged, by kind (the drift repairs of the last pass). */
  readonly driftRepairs?: Readonly<Record<string, number>>;
  /** Where the live access differs from the state (one line each); absent when not checked. */
  readonly accessDifferences?: readonly string[];
}

/**
 * The events between two consecutive reports. Level changes only (a file that stays broken,
 * a guard that keeps holding, access that stays diverged are told once); an unconverged pass
 * and a drift repair are told for each pass they happen in. Pure: the time comes in.
 */
export function deriveEvents(previous: NotifyInput, next: NotifyInput, cell: string, now: Date): NotifyEvent[] {
  const time = now.toISOString();
  const last = next.status.lastReconcile;
  const newPass = last !== null && last.id !== previous.status.lastReconcile?.id;
  const reconcile = last?.id ?? null;
  const event = (name: NotifyEvent['event'], summary: string, details: Record<string, unknown>): NotifyEvent => ({
    event: name,
    time,
    cell,
    reconcile,
    summary,
    details,
  });
  const events: NotifyEvent[] = [];

  const repairs = Object.entries(next.driftRepairs ?? {}).filter(([, n]) => n > 0);
  if (newPass && repairs.length > 0) {
    const total = repairs.reduce((sum, [, n]) => sum + n, 0);
    // What was put back, as the status page lists it (bounded there): kind, subject, reason, rules.
    const restored = next.status.recentRepairs
      .filter((r) => r.reconcile === reconcile)
      .map(({ kind, subject, reason, rules }) => ({ kind, subject, reason, rules }));
    events.push(
      event('drift_repaired', `${total} live ${total === 1 ? 'change' : 'changes'} undone`, {
        actions: Object.fromEntries(repairs),
        repairs: restored,
      }),
    );
  }
  // A pass held back by a broken file is told by file_broken, one the guard stopped by deletion_held_back.
  const result = next.status.recentPasses.find((p) => p.id === reconcile)?.result;
  const toldElsewhere = result === 'degraded' || (result === 'refused' && next.status.massDeleteGuard.blocked);
  if (newPass && !last.converged && !toldElsewhere)
    events.push(
      event('not_converged', last.errors[0] ?? 'the pass did not converge', {
        errors: last.errors,
        triggers: last.triggers,
      }),
    );

  const before = new Map(previous.status.fileErrors.map((i) => [i.file, i]));
  const after = new Map(next.status.fileErrors.map((i) => [i.file, i]));
  for (const [file, issue] of after)
    if (!before.has(file))
      events.push(
        event('file_broken', formatIssue(issue), {
          file,
          pointer: issue.pointer,
          message: issue.message,
        }),
      );
  for (const file of before.keys())
    if (!after.has(file)) events.push(event('file_recovered', `${file} is valid again`, { file }));

  const wasDiverged = (previous.accessDifferences ?? []).join('\n');
  const diverged = next.accessDifferences ?? [];
  if (diverged.length > 0 && diverged.join('\n') !== wasDiverged)
    events.push(event('access_diverged', diverged[0] ?? '', { differences: diverged }));

  const guard = next.status.massDeleteGuard;
  if (guard.blocked && !previous.status.massDeleteGuard.blocked)
    events.push(
      event('deletion_held_back', guard.reason ?? 'the mass-delete guard holds the plan back', {
        reason: guard.reason,
      }),
    );
  return events;
}
