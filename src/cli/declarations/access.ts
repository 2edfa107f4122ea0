import type { CommandDeclaration } from '../command-declaration.js';
import { configOption, fromDumpOption, jsonOption, stateOption } from '../common-options.js';

export const accessCommand: CommandDeclaration = {
  name: 'access',
  summary: 'who reaches whom over the live rules, marked where it differs from the desired state',
  description:
    'Runs the packet model over every pair: rows are every peer, every linked cell (cell:<name>) and an unknown address in peer_subnet; columns every service, every peer, internet and api. Both iptables backends count (the kernel enforces both). A cell marked ! differs from what the rendered rules give on the same routes, and the rule that decided is listed. Changes nothing.',
  options: [
    stateOption,
    configOption,
    fromDumpOption,
    jsonOption('every pair with its verdict, the desired one and the deciding rule'),
  ],
  examples: [
    'pic-reconciler access --state ./state',
    'pic-reconciler access --state ./state --from-dump ./saved-cell --json',
  ],
  exitCodes: '0 answered (whatever the access), 1 error',
  load: async () => (await import('../commands/access.js')).runAccessCommand,
};
