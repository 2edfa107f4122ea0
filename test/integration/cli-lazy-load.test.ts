import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtEntry, REPO_ROOT } from '../helpers/build-dist.js';
import { runProgram } from '../helpers/run-cli.js';

/**
 * Each command loads only what it uses: the built CLI (the ES-module bundle) is run with a
 * module-resolution hook that prints every ES module it loads, and a handler that prints every
 * CommonJS file it loaded, and the list is checked per command.
 */

describe('CLI start-up loads only what the command uses', () => {
  let work = '';
  let hook = '';
  beforeAll(async () => {
    builtEntry('cli/main.js');
    work = await mkdtemp(join(tmpdir(), `pict-${process.pid}-cli-lazy-`));
    const hooks = join(work, 'hooks.mjs');
    await writeFile(
      hooks,
      'export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.startsWith("file:")) process._rawDebug(`loaded ${r.url}`); return r; }\n',
    );
    hook = join(work, 'register.mjs');
    await writeFile(
      hook,
      [
        `import { createRequire, register } from 'node:module';`,
        `import { pathToFileURL } from 'node:url';`,
        `register(${JSON.stringify(pathToFileURL(hooks).href)});`,
        `const cache = createRequire(import.meta.url).cache;`,
        `process.on('exit', () => { for (const file of Object.keys(cache)) process._rawDebug(\`loaded \${pathToFileURL(file).href}\`); });`,
        '',
      ].join('\n'),
    );
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  const loaded = async (args: string[]): Promise<string[]> => {
    const result = await runProgram([process.execPath, '--import', hook, builtEntry('cli/main.js'), ...args], {
      cwd: REPO_ROOT,
    });
    const root = pathToFileURL(REPO_ROOT).href;
    return result.stderr
      .split('\n')
      .flatMap((line) => (line.startsWith('loaded ') ? [line.slice('loaded '.length).replace(`${root}/`, '')] : []));
  };
  const packages = (files: string[]): string[] =>
    [...new Set(files.flatMap((f) => /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1] ?? []))].sort();

  it('--version and help load the entry alone', async () => {
    const entry = ['dist/cli/main.js'];
    expect(await loaded(['--version'])).toEqual(entry);
    expect(await loaded(['plan', '--help'])).toEqual(entry);
  });

  it('validate loads its own chunks, and no Docker, pino or prom-client code', async () => {
    const files = await loaded(['validate', '--state', join(REPO_ROOT, 'state')]);
    expect(files).toContainEqual(expect.stringMatching(/^dist\/cli\/chunks\/validate-[\w-]+\.js$/));
    expect(packages(files)).toEqual([]); // zod, immer and commander are in the bundle; nothing else is loaded
    // Chunk names, not paths: `build-dataplane` (the packet model validate runs) is no plan.
    expect(files.filter((f) => /\/(plan|apply|run-|import|docker|open-cell-targets)|status/.test(f))).toEqual([]);
  });

  it('status loads neither the loader nor the Docker client', async () => {
    const files = await loaded(['status', '--listen', '127.0.0.1:9']);
    expect(files).toContainEqual(expect.stringMatching(/^dist\/cli\/chunks\/status-[\w-]+\.js$/));
    expect(packages(files)).toEqual([]);
    expect(files.filter((f) => /load-state|validate|docker|open-cell-targets/.test(f))).toEqual([]);
  });

  it('show reads a plan file with no Docker, pino or prom-client code and no targets', async () => {
    const file = join(work, 'empty.plan');
    await writeFile(file, '{}');
    const files = await loaded(['show', file]);
    expect(files).toContainEqual(expect.stringMatching(/^dist\/cli\/chunks\/show-[\w-]+\.js$/));
    expect(packages(files)).toEqual([]);
    expect(files.filter((f) => /docker|open-cell-targets|run-|status/.test(f))).toEqual([]);
  });
});
