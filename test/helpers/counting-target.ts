import type { ExecOptions, ExecResult, Target } from '../../src/model/target.js';

/** A target that counts its exec calls, so tests and the benchmark can assert "execs per reconcile". */
export interface CountingTarget extends Target {
  /** Calls since creation or the last reset, failed ones included. */
  readonly execCount: number;
  resetCount(): void;
}

export function createCountingTarget(inner: Target): CountingTarget {
  let count = 0;
  return {
    locator: inner.locator,
    get execCount(): number {
      return count;
    },
    resetCount(): void {
      count = 0;
    },
    exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
      count += 1;
      return inner.exec(argv, options);
    },
  };
}
