import { stat } from 'node:fs/promises';
import { controllerConfigSchema, loadControllerConfig, type ControllerConfig } from '../config/controller-config.js';
import { escapeUntrusted } from '../text/escape-untrusted.js';
import type { CliValues } from './main.js';

/** What every CLI command shares: required options, the config, error lines. */

export function requireOption(value: string | undefined, flag: string): string | null {
  if (value !== undefined && value !== '') return value;
  process.stderr.write(`pic-reconciler: ${flag} is required\n`);
  return null;
}

export function printError(message: string): void {
  // Messages quote file names and targets' output: nothing raw reaches the terminal.
  process.stderr.write(`pic-reconciler: ${escapeUntrusted(message)}\n`);
}

/** The controller config named by --config (defaults when absent), with --listen applied; null after printing why not. */
export async function readConfig(values: CliValues): Promise<ControllerConfig | null> {
  const result = await loadControllerConfig(values.config);
  if (!result.ok) {
    printError(result.error);
    return null;
  }
  if (values.listen === undefined) return result.config;
  const listen = controllerConfigSchema.shape.listen.safeParse(values.listen);
  if (!listen.success) {
    printError(`--listen ${values.listen}: expected HOST:PORT, e.g. 127.0.0.1:9470`);
    return null;
  }
  return { ...result.config, listen: listen.data };
}

export async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}
