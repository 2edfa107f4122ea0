import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * `npm run build`, as a user runs it before the CLI or the demo, unless dist/ is newer
 * than every file in src/ already. Returns the path of a built entry point, e.g.
 * builtEntry('cli/main.js'). Type errors are the typecheck's business (npm test runs it
 * first); what matters here is that tsc emitted the entry points.
 */
export function builtEntry(entry: string): string {
  const path = join(REPO_ROOT, 'dist', entry);
  if (mtimeOf(path) <= newestMtime(join(REPO_ROOT, 'src'))) {
    const build = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (mtimeOf(path) === 0)
      throw new Error(
        `npm run build did not produce dist/${entry} (exit ${build.status}): ${build.stdout}${build.stderr}`,
      );
  }
  return path;
}

export { REPO_ROOT };
