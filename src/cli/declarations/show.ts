import type { CommandDeclaration } from '../command-declaration.js';
import { jsonOption } from '../common-options.js';

export const showCommand: CommandDeclaration = {
  name: 'show',
  summary: 'print a plan saved by `plan --out`',
  description:
    'Prints a saved plan as `plan` printed it when it was made: + creates, - removes, ~ edits in place, each with its reason after #. Reads only the file.',
  options: [jsonOption('the plan file')],
  arguments: [{ name: '<plan-file>', help: 'a plan saved by `plan --out`' }],
  examples: ['pic-reconciler show ./cell.plan', 'pic-reconciler show ./cell.plan --json | jq .plan.summary'],
  exitCodes: '0 printed, 1 not a plan file (one line naming the file and the field)',
  load: async () => (await import('../commands/show.js')).runShow,
};
