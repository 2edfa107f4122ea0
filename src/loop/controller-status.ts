/**
 * What `/status` reports: Kubernetes-style conditions, the last reconcile and every file error.
 * Plain data, updated by the controller after each pass; a condition's lastTransitionTime
 * changes only when its status does.
 */

export type ConditionType = 'Ready' | 'StateValid' | 'TargetsReachable';

export interface Condition {
  readonly type: ConditionType;
  readonly status: 'True' | 'False' | 'Unknown';
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
  readonly actions: Readonly<Record<string, number>>;
  readonly errors: readonly string[];
}

export interface ControllerStatus {
  readonly conditions: readonly Condition[];
  readonly lastReconcile: LastReconcile | null;
  readonly fileErrors: readonly { readonly file: string; readonly pointer: string; readonly message: string }[];
  readonly counts: { readonly peers: number; readonly links: number; readonly services: number };
  readonly massDeleteGuard: { readonly blocked: boolean; readonly reason: string | null };
}

export const INITIAL_STATUS: ControllerStatus = {
  conditions: (['Ready', 'StateValid', 'TargetsReachable'] as const).map((type) => ({
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
};

/** Sets one condition, keeping its lastTransitionTime unless the status changed. */
export function setCondition(conditions: readonly Condition[], next: Omit<Condition, 'lastTransitionTime'>, now: Date): Condition[] {
  return conditions.map((c) =>
    c.type !== next.type ? c : { ...next, lastTransitionTime: c.status === next.status ? c.lastTransitionTime : now.toISOString() },
  );
}

export function isReady(status: ControllerStatus): boolean {
  return status.conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}
