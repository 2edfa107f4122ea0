import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/build-dist.js';

/**
 * The README's migration steps as a user outside the checkout runs them: the package as
 * `npm pack` makes it, installed globally into a throwaway prefix (from npm's local cache, which
 * `npm ci` filled), run from another folder against a saved seed cell.
 */

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[], cwd: string, timeoutMs = 240_000): Promise<Ran> {
  return new Promise((done) => {
    execFile(
      file,
      [...args],
      { cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) =>
        done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr }),
    );
  });
}

/** A package as `require` finds it from `chain`'s last package, each found from the one before, starting at `root`. */
async function resolvedPackage(root: string, chain: readonly string[]): Promise<{ path: string; version: string }> {
  let dir = root;
  for (const name of chain) dir = dirname(createRequire(join(dir, 'package.json')).resolve(`${name}/package.json`));
  const { version } = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version: string };
  return { path: relative(root, dir), version };
}

/** Who loads them: docker-modem requires ssh2 for DOCKER_HOST=ssh://, dockerode requires @grpc/grpc-js. */
const NATIVE_CHAINS = {
  ssh2: ['dockerode', 'docker-modem', 'ssh2'],
  '@grpc/grpc-js': ['dockerode', '@grpc/grpc-js'],
} as const;

describe('the packed package installed globally, outside the checkout', () => {
  let work = '';
  let bin = '';
  let files: string[] = [];
  let installedRoot = '';

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'pict-install-'));
    const packed = await run('npm', ['pack', '--json', '--pack-destination', work], REPO_ROOT);
    expect(packed.code, packed.stderr).toBe(0);
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as {
      filename: string;
      files: { path: string }[];
    }[];
    files = info?.files.map((f) => f.path) ?? [];
    const prefix = join(work, 'prefix');
    const installed = await run(
      'npm',
      [
        'install',
        '-g',
        '--prefix',
        prefix,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        join(work, info?.filename ?? ''),
      ],
      work,
    );
    expect(installed.code, installed.stderr).toBe(0);
    bin = join(prefix, 'bin', 'pic-reconciler');
    installedRoot = join(prefix, 'lib', 'node_modules', 'pic-reconciler');
  }, 300_000);
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('ships the CLI and its runtime code, not the bench, demo, soak, testbed or tests', () => {
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('dist/runtime/check-node-version.js');
    expect(files.filter((f) => /^(dist\/(bench|demo|soak|testbed)|src|test)\//.test(f))).toEqual([]);
  });

  it("resolves the real ssh2 and @grpc/grpc-js at package-lock.json's versions and places, as the checkout does", async () => {
    const lock = JSON.parse(await readFile(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string }>;
    };
    for (const [name, chain] of Object.entries(NATIVE_CHAINS)) {
      const installed = await resolvedPackage(installedRoot, chain);
      const checkout = await resolvedPackage(REPO_ROOT, chain);
      expect(installed.path, name).toBe(`node_modules/${name}`);
      expect(installed.version, name).toBe(lock.packages[installed.path]?.version);
      expect(checkout, name).toEqual(installed);
    }
  });

  it('imports a saved seed cell, validates it and plans the take-over, from another folder', async () => {
    const cwd = join(work, 'elsewhere');
    const saved = join(cwd, 'saved');
    await mkdir(saved, { recursive: true });
    const fixtures = join(REPO_ROOT, 'test/fixtures/observe');
    await copyFile(join(fixtures, 'iptables-seed.txt'), join(saved, 'iptables-save.txt'));

    const imported = await run(bin, ['import', '--from', 'saved', '--out', 'state'], cwd);
    expect(imported.code, imported.stderr).toBe(0);
    expect((await readdir(join(cwd, 'state'))).sort()).toEqual(expect.arrayContaining(['cell.json', 'peers']));

    const validated = await run(bin, ['validate', '--state', 'state'], cwd);
    expect(validated.code, validated.stderr).toBe(0);
    expect(validated.stdout).toMatch(/^state: valid: cell /);

    const planned = await run(bin, ['plan', '--state', 'state', '--from', 'saved'], cwd);
    expect(planned.code, planned.stderr).toBe(2);
    expect(planned.stdout).toContain('legacy seed rule');
  });
});
