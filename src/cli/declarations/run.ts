import type { CommandDeclaration } from '../command-declaration.js';
import { configOption, listenOption, stateOption } from '../common-options.js';

export const runCommand: CommandDeclaration = {
  name: 'run',
  summary: 'the controller loop, until SIGTERM or SIGINT',
  description:
    'Watches the state folder, the role containers and the Corefile, reconciles on every change and every resync_seconds, and serves /healthz, /readyz, /metrics and /status on the listen address. Logs are JSON lines (pretty on a terminal).',
  options: [
    stateOption,
    configOption,
    listenOption,
    {
      flags: '--allow-mass-delete',
      help: 'do not hold back a pass that removes more than max_delete_share of the managed rules',
      example: 'run --state ./state --allow-mass-delete',
    },
  ],
  examples: [
    'pic-reconciler run --state /state --config /etc/pic-reconciler/config.json',
    'pic-reconciler run --state ./state --listen 127.0.0.1:9470',
  ],
  exitCodes: '0 after SIGTERM or SIGINT (the pass in flight finishes first), 1 when it cannot start',
  load: async () => (await import('../commands/run.js')).runController,
};
