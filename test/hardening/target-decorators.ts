import { isRestoreCommand, RESTORED_MARK } from '../../src/apply/apply-plan.js';
import type { ExecOptions, ExecResult, Target } from '../../src/model/target.js';

/** One command a target was asked to run: the bytes that would reach the cell. */
export interface RecordedExec {
  readonly locator: string;
  readonly argv: readonly string[];
  readonly stdin: string;
}

/** Records every exec's argv and stdin, then runs it on `inner`. */
export function recordingTarget(inner: Target, log: RecordedExec[]): Target {
  return {
    locator: inner.locator,
    exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
      log.push({ locator: inner.locator, argv: [...argv], stdin: options?.stdin ?? '' });
      return inner.exec(argv, options);
    },
  };
}

/**
 * A cell that is always empty: answers the observe commands as a fresh namespace does
 * and accepts every write. Only for inspecting the bytes a reconcile sends.
 */
export function emptyCellTarget(locator: string, dev: string): Target {
  return {
    locator,
    exec(argv: readonly string[]): Promise<ExecResult> {
      const command = argv.join(' ');
      let stdout = '';
      if (command === 'ip -4 -j -batch -' || command === 'ip -4 -j -force -batch -') stdout = '[]\n[]\n';
      // The shell-wrapped restore prints its mark once the restore went in, then the tables (none here).
      else if (isRestoreCommand(argv) && argv[0] === 'sh') stdout = `${RESTORED_MARK}\n`;
      else if (command.startsWith('ip -j addr show dev')) stdout = JSON.stringify([{ ifname: dev, addr_info: [] }]);
      return Promise.resolve({ stdout, stderr: '', exitCode: 0 });
    },
  };
}

/** Replaces one exec: gets what was asked and the real target to run it on (or not). */
export type Fault = (argv: readonly string[], options: ExecOptions | undefined, inner: Target) => Promise<ExecResult>;

/** A target whose execs go through `current.fault` while one is set: faults switch on and off in a test. */
export function faultyTarget(inner: Target, current: { fault: Fault | null }): Target {
  return {
    locator: inner.locator,
    exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
      return current.fault === null ? inner.exec(argv, options) : current.fault(argv, options, inner);
    },
  };
}

/** True for the apply's iptables-restore call. */
export const isRestore = isRestoreCommand;

/** argv as one shell command line, each word single-quoted. */
export function shellLine(argv: readonly string[]): string {
  return argv.map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(' ');
}
