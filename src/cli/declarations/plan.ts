import type { CommandDeclaration } from '../command-declaration.js';
import { configOption, fromDeprecatedOption, fromDumpOption, jsonOption, stateOption } from '../common-options.js';

export const planCommand: CommandDeclaration = {
  name: 'plan',
  summary: 'print what apply would do',
  description:
    'Observes the cell (or a saved one) and prints the actions that would make it match the state: + creates, - removes, ~ edits in place, each with its reason after #. Changes nothing but the --out file. Prints the config it used on stderr.',
  options: [
    stateOption,
    configOption,
    fromDumpOption,
    {
      flags: '--out <file>',
      help: 'also save the plan (mode 0600) with the state and live cell it was made from, for `apply FILE` and `show FILE`; with --json the file is what is printed',
      example: '--out ./cell.plan',
    },
    jsonOption('the actions'),
    fromDeprecatedOption,
  ],
  examples: [
    'pic-reconciler plan --state ./state --config /etc/pic-reconciler/config.json',
    'pic-reconciler plan --state ./state --from-dump ./saved-cell --json',
    'pic-reconciler plan --state ./state --out ./cell.plan   # then: show ./cell.plan, apply ./cell.plan',
  ],
  exitCodes: '0 nothing to do, 2 changes pending, 1 error',
  load: async () => (await import('../commands/plan.js')).runPlan,
};
