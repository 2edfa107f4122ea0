/** Every command gets a deadline: a hung `docker exec` or namespace must never stall a reconcile. */
export const DEFAULT_EXEC_TIMEOUT_MS = 10_000;

export interface TargetOptions {
  /** Deadline for each exec unless the call gives its own. */
  readonly timeoutMs?: number;
}

export function timeoutOf(callMs: number | undefined, target: TargetOptions | undefined): number {
  return callMs ?? target?.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
}

export function timedOutDetail(ms: number): string {
  return `timed out after ${ms} ms`;
}
