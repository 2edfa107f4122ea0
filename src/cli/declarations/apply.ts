import type { CommandDeclaration } from '../command-declaration.js';
import { configOption, jsonOption, stateOption } from '../common-options.js';
import { CONFIRM_MAX_SECONDS, CONFIRM_MIN_SECONDS } from '../confirm-seconds.js';

export const applyCommand: CommandDeclaration = {
  name: 'apply',
  summary: 'one reconcile, verified',
  description:
    'Plans, applies (one iptables-restore transaction, one ip batch per target, the Corefile and its reload) and observes again to verify. Held back like the loop when it would remove more than max_delete_share of the managed rules. Prints the config it used on stderr. Given a plan file (`plan --out FILE`), applies exactly its actions, or refuses with one line naming what moved (a state file, a part of the live cell, the config) and applies nothing; --state defaults to the folder the plan was made from.',
  arguments: [
    {
      name: '[plan-file]',
      help: 'a plan saved by `plan --out`: apply exactly it, or nothing if the state or the live cell moved since',
    },
  ],
  options: [
    stateOption,
    configOption,
    { flags: '--dry-run', help: 'print the plan and change nothing', example: 'apply --state ./state --dry-run' },
    {
      flags: '--confirm-within <seconds>',
      help: `apply, then keep the new state only if \`pic-reconciler confirm\` (another shell) or y (this terminal) comes within SECONDS (${CONFIRM_MIN_SECONDS}-${CONFIRM_MAX_SECONDS}); else restore what was live before and verify it. SIGHUP, SIGTERM and end of input never confirm; SIGTERM or Ctrl-C roll back at once`,
      example: 'apply --state ./state --confirm-within 120',
    },
    {
      flags: '--allow-mass-delete',
      help: 'apply even when the mass-delete guard would hold the plan back',
      example: 'apply --state ./state --allow-mass-delete',
    },
    jsonOption('the plan, the outcome and the write counts'),
  ],
  examples: [
    'pic-reconciler apply --state ./state --config /etc/pic-reconciler/config.json',
    'pic-reconciler apply --state ./state --dry-run',
    'pic-reconciler apply --state ./state --confirm-within 120',
    'pic-reconciler apply ./cell.plan --confirm-within 120',
  ],
  exitCodes:
    '0 converged (with --confirm-within: confirmed), 3 not confirmed: rolled back and verified, 1 error (a rollback that did not verify, and a plan file refused because something moved, included)',
  load: async () => (await import('../commands/apply.js')).runApply,
};
