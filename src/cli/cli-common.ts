import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  chooseConfigFile,
  controllerConfigSchema,
  describeConfigChoice,
  loadControllerConfig,
  type ControllerConfig,
} from '../config/controller-config.js';
import { escapeControl, formatIssue, type StateIssue } from '../text/state-issue.js';
import type { CliValues } from './cli-values.js';

/** What every CLI command shares: required options, the config, error lines. */

/** Flags that an environment variable can stand in for, for the "is required" line. */
const ENV_OF: Readonly<Record<string, string>> = { '--state': 'PIC_STATE' };

export function requireOption(value: string | undefined, flag: string): string | null {
  if (value !== undefined && value !== '') return value;
  const env = ENV_OF[flag];
  process.stderr.write(`pic-reconciler: ${flag} is required${env ? ` (or set ${env})` : ''}\n`);
  return null;
}

/** One line on stderr; control characters (from file names, flags, command output) are escaped. */
export function printError(message: string): void {
  process.stderr.write(`pic-reconciler: ${escapeControl(message)}\n`);
}

/** A state issue with its file named from the state folder as given (`state/peers/a.json`; the folder itself for `.`). */
export function issueInFolder(stateDir: string, issue: StateIssue): StateIssue {
  return { ...issue, file: join(stateDir, issue.file) };
}

export function printIssues(stateDir: string, issues: readonly StateIssue[]): void {
  for (const issue of issues) process.stderr.write(`${formatIssue(issueInFolder(stateDir, issue))}\n`);
}

export interface ReadConfigOptions {
  /** Print "config: …" on stderr (plan and apply say which config they used). */
  readonly announce?: boolean;
}

/**
 * The controller config by discovery (--config, $PIC_CONFIG, /etc/pic-reconciler/config.json,
 * built-in defaults), with --listen applied; null after printing why not.
 */
export async function readConfig(values: CliValues, options: ReadConfigOptions = {}): Promise<ControllerConfig | null> {
  const choice = await chooseConfigFile(values.config, process.env.PIC_CONFIG);
  const result = await loadControllerConfig(choice.file ?? undefined);
  if (!result.ok) {
    printError(result.error);
    return null;
  }
  if (options.announce) process.stderr.write(`config: ${escapeControl(describeConfigChoice(choice))}\n`);
  if (values.listen === undefined) return result.config;
  const listen = controllerConfigSchema.shape.listen.safeParse(values.listen);
  if (!listen.success) {
    printError(`--listen ${values.listen}: expected HOST:PORT, e.g. 127.0.0.1:9470`);
    return null;
  }
  return { ...result.config, listen: listen.data };
}

export async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
