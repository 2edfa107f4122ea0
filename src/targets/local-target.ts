import type { ExecOptions, ExecResult, Target } from '../model/target.js';
import { timeoutOf, type TargetOptions } from './exec-defaults.js';
import { spawnCommand } from './spawn-command.js';

/** Runs commands on this host (`local`), for a controller that lives in the cell's own namespace. */
export function createLocalTarget(options?: TargetOptions): Target {
  const locator = 'local';
  return {
    locator,
    exec(argv: readonly string[], call?: ExecOptions): Promise<ExecResult> {
      return spawnCommand({
        locator,
        command: argv,
        argv,
        stdin: call?.stdin,
        timeoutMs: timeoutOf(call?.timeoutMs, options),
      });
    },
  };
}
