import type { CommandDeclaration } from '../command-declaration.js';
import { configOption, fromDeprecatedOption, fromDumpOption } from '../common-options.js';

export const importCommand: CommandDeclaration = {
  name: 'import',
  summary: 'write state files from a cell the old module (firewall_manager.py) manages',
  description:
    'Reads a live cell that the seed manages (or a saved one) and writes a new state folder that reproduces its access rules, printing one line per thing it inferred, changed on purpose or could not work out.',
  options: [
    { flags: '--out <dir>', help: 'the state folder to write; must be missing or empty', example: '--out ./state' },
    configOption,
    fromDumpOption,
    fromDeprecatedOption,
  ],
  examples: [
    'pic-reconciler import --config config.json --out ./state',
    'pic-reconciler import --from-dump ./saved-cell --out ./state',
  ],
  exitCodes: '0 state written and valid, 1 error',
  load: async () => (await import('../commands/import.js')).runImport,
};
