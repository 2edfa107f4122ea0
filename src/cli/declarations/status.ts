import type { CommandDeclaration } from '../command-declaration.js';
import { configOption, jsonOption, listenOption } from '../common-options.js';

export const statusCommand: CommandDeclaration = {
  name: 'status',
  summary: 'ask a running controller how it is doing',
  description:
    "Fetches /status from the controller's listen address (the config's, or --listen) and prints its conditions, the last reconcile and any file errors.",
  options: [listenOption, configOption, jsonOption('the status')],
  examples: ['pic-reconciler status', 'pic-reconciler status --listen 127.0.0.1:9470 --json'],
  exitCodes: '0 ready, 1 not ready or not answering',
  load: async () => (await import('../commands/status.js')).runStatus,
};
