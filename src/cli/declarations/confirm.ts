import type { CommandDeclaration } from '../command-declaration.js';
import { configOption, stateOption } from '../common-options.js';

export const confirmCommand: CommandDeclaration = {
  name: 'confirm',
  summary: 'keep what `apply --confirm-within` applied',
  description:
    "Answers the confirm window open in the cell's status folder (found from --state and the config, as apply found it), so the new state stays. It does not wait for, nor take, the cell lock: the apply holding the window keeps it.",
  options: [stateOption, configOption],
  examples: [
    'pic-reconciler confirm --state ./state',
    'pic-reconciler confirm --state /srv/state --config /etc/pic-reconciler/config.json',
  ],
  exitCodes:
    '0 confirmed, 1 nothing to confirm (no window open, its process gone, closed, still applying, or a window of another cell) or error',
  load: async () => (await import('../commands/confirm.js')).runConfirm,
};
