/**
 * The bounded history `/status` keeps for the status page: the last passes and the last drift
 * repairs, newest first. Pure; the reporter calls it after each pass.
 */
import type { Action } from '../model/plan.js';
import type { PassResult } from '../model/reconcile-labels.js';

/** Passes and repairs kept; older ones fall off (the log has them all). */
export const RECENT_PASSES = 20;
export const RECENT_REPAIRS = 20;

export interface PassSummary {
  readonly id: string;
  readonly triggers: readonly string[];
  readonly startedAt: string;
  readonly durationMs: number;
  readonly result: PassResult;
  readonly actions: Readonly<Record<string, number>>;
}

export interface DriftRepair {
  readonly time: string;
  readonly reconcile: string;
  readonly kind: string;
  readonly subject: string;
  readonly reason: string;
  /** The rules written back (iptables actions); empty for routes, addresses and the Corefile. */
  readonly rules: readonly string[];
}

export interface RecentActivity {
  readonly recentPasses: readonly PassSummary[];
  readonly recentRepairs: readonly DriftRepair[];
}

/** The rules an action writes, as iptables-save lines without the table. */
export function restoredRules(action: Action): readonly string[] {
  switch (action.kind) {
    case 'create-chain':
      return action.rules;
    case 'update-chain':
      return action.edits.filter((e) => e.op === 'insert').map((e) => e.rule);
    case 'insert-jump':
      return [action.rule];
    default:
      return [];
  }
}

export function withRecentActivity(
  activity: RecentActivity,
  pass: PassSummary,
  repairs: readonly DriftRepair[],
): RecentActivity {
  return {
    recentPasses: [pass, ...activity.recentPasses].slice(0, RECENT_PASSES),
    recentRepairs: [...[...repairs].reverse(), ...activity.recentRepairs].slice(0, RECENT_REPAIRS),
  };
}
