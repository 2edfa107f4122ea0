import { ExecError, ProgramNotFoundError, type ExecOptions, type ExecResult, type Target } from '../model/target.js';
import { timeoutOf, type TargetOptions } from './exec-defaults.js';
import { spawnCommand } from './spawn-command.js';

// What `ip netns exec` prints when it cannot run the command at all (iproute2 6.x).
const MISSING_NAMESPACE = /^Cannot open network namespace "/m;
const MISSING_COMMAND = /^exec of "[^"]*" failed: No such file or directory$/m;

/** Runs commands inside a named network namespace (`netns:NAME`) through `ip netns exec`. */
export function createNetnsTarget(name: string, options?: TargetOptions): Target {
  const locator = `netns:${name}`;
  return {
    locator,
    async exec(argv: readonly string[], call?: ExecOptions): Promise<ExecResult> {
      const result = await spawnCommand({
        locator,
        command: argv,
        argv: ['ip', 'netns', 'exec', name, ...argv],
        stdin: call?.stdin,
        timeoutMs: timeoutOf(call?.timeoutMs, options),
      });
      if (result.exitCode !== 0 && MISSING_NAMESPACE.test(result.stderr)) {
        throw new ExecError(locator, argv, result.exitCode, result.stderr, 'no such network namespace');
      }
      if (result.exitCode !== 0 && MISSING_COMMAND.test(result.stderr)) {
        throw new ProgramNotFoundError(
          locator,
          argv,
          result.exitCode,
          result.stderr,
          `${argv[0] ?? ''} not found in ${locator}`,
        );
      }
      return result;
    },
  };
}
