import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './package-root.js';

/** The version in the package's package.json. */
export function packageVersion(): string {
  const version: unknown = (
    JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown }
  ).version;
  return typeof version === 'string' ? version : 'unknown';
}
