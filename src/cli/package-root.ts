import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The installed package's folder (where package.json and schema/ are), found by walking up from
 * this module: the CLI runs from src/ under vitest, from dist/ after tsc, and from the bundle's
 * chunks, each at a different depth.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'pic-reconciler'
    )
      return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the pic-reconciler package folder');
    dir = parent;
  }
}
