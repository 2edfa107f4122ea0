import { locatorText } from '../../model/locator.js';
import { confirmOpenWindow } from '../../rollback/confirm-open-window.js';
import { statusDirOf } from '../cell-writer.js';
import type { CliValues } from '../cli-values.js';
import { printError, readConfig, requireOption } from '../cli-common.js';
import { escapeUntrusted } from '../../text/escape-untrusted.js';

/** `confirm`: keeps the state of the open confirm window of this cell. Exit 0 confirmed, 1 nothing to confirm. */
export async function runConfirm(values: CliValues): Promise<number> {
  const stateDir = requireOption(values.state, '--state');
  if (stateDir === null) return 1;
  const config = await readConfig(values);
  if (config === null) return 1;
  let outcome;
  try {
    outcome = await confirmOpenWindow(statusDirOf(config, stateDir), locatorText(config.targets.wireguard));
  } catch (error) {
    printError((error as Error).message);
    return 1;
  }
  if (!outcome.ok) {
    printError(outcome.message);
    return 1;
  }
  process.stdout.write(`${escapeUntrusted(outcome.message)}\n`);
  return 0;
}
