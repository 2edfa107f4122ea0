import type { CommandDeclaration } from '../command-declaration.js';
import { packageVersion } from '../package-version.js';

export const versionCommand: CommandDeclaration = {
  name: 'version',
  summary: 'print the version (same as --version)',
  options: [],
  examples: ['pic-reconciler version'],
  exitCodes: '0',
  load: async () => async () => {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  },
};
