import type { CommandDeclaration } from '../command-declaration.js';
import { configOption, jsonOption, stateOption } from '../common-options.js';

export const validateCommand: CommandDeclaration = {
  name: 'validate',
  summary: 'check the desired state, touching nothing',
  description:
    'Reads and checks every file of the state folder, then evaluates its AccessTests against the rendered rules; prints one line per problem (file: /pointer: message).',
  options: [stateOption, configOption, jsonOption('the result and every issue')],
  examples: ['pic-reconciler validate --state ./state', 'PIC_STATE=./state pic-reconciler validate --json'],
  exitCodes: '0 valid, 1 invalid',
  load: async () => (await import('../commands/validate.js')).runValidate,
};
