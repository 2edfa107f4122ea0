import type { CommandDeclaration } from '../command-declaration.js';
import { configOption, jsonOption, stateOption } from '../common-options.js';

export const applyCommand: CommandDeclaration = {
  name: 'apply',
  summary: 'one reconcile, verified',
  description:
    'Plans, applies (one iptables-restore transaction, one ip batch per target, the Corefile and its reload) and observes again to verify. Held back like the loop when it would remove more than max_delete_share of the managed rules. Prints the config it used on stderr.',
  options: [
    stateOption,
    configOption,
    { flags: '--dry-run', help: 'print the plan and change nothing', example: 'apply --state ./state --dry-run' },
    { flags: '--allow-mass-delete', help: 'apply even when the mass-delete guard would hold the plan back', example: 'apply --state ./state --allow-mass-delete' },
    jsonOption('the plan, the outcome and the write counts'),
  ],
  examples: ['pic-reconciler apply --state ./state --config /etc/pic-reconciler/config.json', 'pic-reconciler apply --state ./state --dry-run'],
  exitCodes: '0 converged, 1 error',
  load: async () => (await import('../commands/apply.js')).runApply,
};
