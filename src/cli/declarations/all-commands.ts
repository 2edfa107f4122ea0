import type { CommandDeclaration } from '../command-declaration.js';
import { accessCommand } from './access.js';
import { applyCommand } from './apply.js';
import { completionCommand } from './completion.js';
import { confirmCommand } from './confirm.js';
import { explainCommand } from './explain.js';
import { importCommand } from './import.js';
import { planCommand } from './plan.js';
import { runCommand } from './run.js';
import { showCommand } from './show.js';
import { statusCommand } from './status.js';
import { validateCommand } from './validate.js';
import { versionCommand } from './version.js';

/** Every command, in the order the root help lists them. A new command is a file here and a line below. */
export const ALL_COMMANDS: readonly CommandDeclaration[] = [
  validateCommand,
  planCommand,
  applyCommand,
  showCommand,
  confirmCommand,
  runCommand,
  statusCommand,
  explainCommand,
  accessCommand,
  importCommand,
  versionCommand,
  completionCommand,
];
