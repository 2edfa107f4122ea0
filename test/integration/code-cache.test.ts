import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHE_SUFFIX, decodeCodeCache, encodeCodeCache } from '../../src/cli/code-cache.cjs';
import { builtEntry, REPO_ROOT } from '../helpers/build-dist.js';
import { runProgram } from '../helpers/run-cli.js';

/**
 * The CLI bundle's V8 code caches: the build writes one per bundle file, V8 takes each, and a
 * cache made from other source (even of the same length, which is all V8 checks) is not used.
 */

const BUNDLE = join(REPO_ROOT, 'dist', 'cli', 'bundle');

async function bundleFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir, { recursive: true });
  return names.filter((name) => name.endsWith('.cjs')).map((name) => join(dir, name));
}

describe('code caches of the CLI bundle', () => {
  let work = '';
  beforeAll(async () => {
    builtEntry('cli/main.js');
    work = await mkdtemp(join(tmpdir(), `pict-${process.pid}-code-cache-`));
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('the build writes a cache for every bundle file, and V8 accepts each', async () => {
    const files = await bundleFiles(BUNDLE);
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const source = await readFile(file, 'utf8');
      const cachedData = decodeCodeCache(await readFile(file + CACHE_SUFFIX), source);
      expect(cachedData, file).toBeDefined();
      const script = new Script(Module.wrap(source), { filename: file, ...(cachedData ? { cachedData } : {}) });
      expect(script.cachedDataRejected, file).toBe(false);
      // Strict, like tsc's ES modules: a write to the frozen state throws in both.
      expect(source.startsWith('"use strict";'), file).toBe(true);
      // A vm.Script has no loader for import(); comments (commander's JSDoc) aside, there is none.
      const code = source.split('\n').filter((line) => !/^\s*(\*|\/\/)/.test(line));
      expect(
        code.filter((line) => /(^|[^\w$.])import\s*\(/.test(line)),
        file,
      ).toEqual([]);
    }
  });

  it('validate takes a cache for every file it loads, and V8 rejects none', async () => {
    // A preload that sees each vm.Script the loader makes: was it given a cache, and was the cache taken?
    const preload = join(work, 'count-scripts.cjs');
    await writeFile(
      preload,
      [
        "const vm = require('node:vm');",
        'const seen = [];',
        'const Original = vm.Script;',
        'vm.Script = class extends Original { constructor(code, options) { super(code, options);',
        '  seen.push({ file: options.filename, given: options.cachedData !== undefined, rejected: this.cachedDataRejected === true }); } };',
        "process.on('exit', () => process._rawDebug(`scripts ${JSON.stringify(seen)}`));",
        '',
      ].join('\n'),
    );
    const result = await runProgram(
      [
        process.execPath,
        '--require',
        preload,
        builtEntry('cli/main.js'),
        'validate',
        '--state',
        join(REPO_ROOT, 'state'),
      ],
      { cwd: REPO_ROOT },
    );
    expect(result.code).toBe(0);
    const line = result.stderr.split('\n').find((l) => l.startsWith('scripts ')) ?? 'scripts []';
    const scripts = JSON.parse(line.slice('scripts '.length)) as { file: string; given: boolean; rejected: boolean }[];
    expect(scripts.length).toBeGreaterThanOrEqual(5);
    expect(scripts.filter((s) => !s.given || s.rejected)).toEqual([]);
    expect(scripts.every((s) => s.file.startsWith(BUNDLE))).toBe(true);

    // With source maps on, Node's own loader compiles every file, so that stack traces map.
    const mapped = await runProgram(
      [process.execPath, '--enable-source-maps', '--require', preload, builtEntry('cli/main.js'), '--version'],
      { cwd: REPO_ROOT },
    );
    expect(mapped.code).toBe(0);
    expect(mapped.stderr).toContain('scripts []');
  });

  it("run loads tsc's modules through Node's own loader, not the bundle", async () => {
    const preload = join(work, 'list-bundle.cjs');
    await writeFile(
      preload,
      "process.on('exit', () => process._rawDebug(`bundle ${Object.keys(require.cache).filter((f) => f.includes('/dist/cli/bundle/')).length}`));\n",
    );
    // A config file that is not there ends `run` at once, once its module has loaded (no lock, no cell).
    const result = await runProgram(
      [
        process.execPath,
        '--require',
        preload,
        builtEntry('cli/main.js'),
        'run',
        '--state',
        join(REPO_ROOT, 'state'),
        '--config',
        join(work, 'absent.json'),
      ],
      { cwd: REPO_ROOT },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('absent.json');
    expect(result.stderr).toContain('bundle 0');
  });

  it('a cache holds for its own source only', () => {
    const cache = encodeCodeCache('exports.a = 1;', Buffer.from('v8 data'));
    expect(decodeCodeCache(cache, 'exports.a = 1;')?.toString()).toBe('v8 data');
    expect(decodeCodeCache(cache, 'exports.a = 2;')).toBeUndefined();
    expect(decodeCodeCache(cache, 'exports.a = 10;')).toBeUndefined();
    expect(decodeCodeCache(Buffer.from('not a cache at all'), 'exports.a = 1;')).toBeUndefined();
  });

  it('an edited bundle file runs its new source, not the stale cache beside it', async () => {
    // A copy of the launcher and bundle, one help text changed in place with its length kept.
    const cli = join(work, 'dist', 'cli');
    await mkdir(cli, { recursive: true });
    await writeFile(
      join(work, 'package.json'),
      JSON.stringify({ name: 'pic-reconciler', version: '9.9.9', type: 'module' }),
    );
    for (const name of ['main.js', 'code-cache.cjs']) await cp(join(REPO_ROOT, 'dist', 'cli', name), join(cli, name));
    await cp(BUNDLE, join(cli, 'bundle'), { recursive: true });
    const entry = join(cli, 'bundle', 'cli-entry.cjs');
    const original = await readFile(entry, 'utf8');
    expect(original).toContain('print the version and exit');
    await writeFile(entry, original.replace('print the version and exit', 'PRINT THE VERSION AND EXIT'));

    const help = await runProgram([process.execPath, join(cli, 'main.js'), '--help'], { cwd: work });
    expect(help.code).toBe(0);
    expect(help.stderr).toBe('');
    expect(help.stdout).toContain('PRINT THE VERSION AND EXIT');
    const version = await runProgram([process.execPath, join(cli, 'main.js'), '--version'], { cwd: work });
    expect(version.stdout.trim()).toBe('9.9.9');
  });
});
