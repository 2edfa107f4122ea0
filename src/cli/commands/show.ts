import { formatPlanText } from '../../plan/format-plan.js';
import { planOf, planFileText } from '../../plan/plan-file.js';
import type { CommandContext } from '../command-declaration.js';
import type { CliValues } from '../cli-values.js';
import { printError } from '../cli-common.js';
import { planForStdout } from '../plan-colour.js';
import { readPlanFile } from '../saved-plan-io.js';

/** `show FILE`: a saved plan, in the text `plan` printed (or the file's JSON). */
export async function runShow(values: CliValues, context: CommandContext): Promise<number> {
  const path = context.args[0] ?? '';
  const read = await readPlanFile(path);
  if (!read.ok) {
    printError(read.error);
    return 1;
  }
  process.stdout.write(values.json ? planFileText(read.file) : planForStdout(formatPlanText(planOf(read.file))));
  return 0;
}
