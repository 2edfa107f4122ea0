/**
 * The deploy docs say what the deploy files do: every command, container, compose service and
 * file, and every environment variable named in the README's "Deploying" section and in
 * deploy/README.md is one the files and the CLI really have.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { ALL_COMMANDS } from '../../../src/cli/declarations/all-commands.js';
import { chooseConfigFile } from '../../../src/config/controller-config.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string): string => readFileSync(join(REPO, path), 'utf8');

/** The README's "## Deploying" section, up to its next heading. */
function readmeDeploySection(): string {
  const readme = read('README.md');
  const start = readme.indexOf('\n## Deploying\n');
  if (start < 0) throw new Error('the README has no "Deploying" section');
  const end = readme.slice(start + 1).search(/\n#{2,3} /);
  return readme.slice(start, end < 0 ? undefined : start + 1 + end);
}

const DOCS = { 'README.md#deploying': readmeDeploySection(), 'deploy/README.md': read('deploy/README.md') };
const COMPOSE_FILES = ['deploy/docker-compose.yml', 'deploy/gitops/docker-compose.git-sync.yml'];
const COMPOSE = COMPOSE_FILES.map(read).join('\n');

/** Each match of `pattern` (group 1) in each doc, with the doc's name. */
function named(pattern: RegExp): [string, string][] {
  return Object.entries(DOCS).flatMap(([doc, text]) =>
    [...text.matchAll(pattern)].map((m): [string, string] => [doc, m[1] ?? '']),
  );
}

describe('deploy docs and deploy files', () => {
  it('every command names a container, compose service and file that exist, and a CLI command and flags it declares', () => {
    const containers = [...COMPOSE.matchAll(/^\s+container_name: (\S+)$/gm)].map((m) => m[1]);
    const execs = named(/docker exec (\S+)/g);
    expect(execs.length).toBeGreaterThan(1);
    for (const [doc, name] of execs)
      expect({ doc, name, known: containers.includes(name) }).toMatchObject({ known: true });
    const services = [...COMPOSE.matchAll(/^ {2}([a-z][\w-]*):$/gm)].map((m) => m[1]);
    for (const [doc, service] of named(/run --rm --no-deps (\S+)/g))
      expect({ doc, service, known: services.includes(service) }).toMatchObject({ known: true });
    for (const [doc, file] of named(/-f pic-reconciler\/(\S+)/g))
      expect({ doc, file, exists: existsSync(join(REPO, file)) }).toMatchObject({ exists: true });

    const uses = named(/(?:^|[\s`(])pic-reconciler ([a-z][a-z-]*(?: [^\s`|&#)]+)*)/gm);
    const commands = uses.filter(([, use]) => ALL_COMMANDS.some((c) => c.name === use.split(' ')[0]));
    expect(commands.length).toBeGreaterThan(3);
    for (const [doc, use] of commands) {
      const [name, ...words] = use.split(' ');
      const command = ALL_COMMANDS.find((c) => c.name === name);
      const flags = new Set(['--help', ...(command?.options ?? []).map((o) => new Option(o.flags).long)]);
      for (const flag of words.filter((w) => w.startsWith('--')))
        expect({ doc, use, flag, declared: flags.has(flag) }).toMatchObject({ declared: true });
    }
  });

  it('every environment variable named is read by the CLI or the deploy files, and the healthcheck reads the CLI`s', async () => {
    const optionEnv = ALL_COMMANDS.flatMap((c) => c.options.flatMap((o) => (o.env === undefined ? [] : [o.env])));
    // Config discovery names the variable it took the file from.
    const configEnv = (await chooseConfigFile(undefined, '/x.json', '/nonexistent')).from;
    const cliEnv = new Set([...optionEnv, configEnv]);
    const healthcheck = read('deploy/healthcheck.mjs');
    const healthEnv = [...healthcheck.matchAll(/process\.env\.(\w+)/g)].map((m) => m[1] ?? '');
    // The config file's variable is the one the CLI reads; the health URL is the check's own.
    expect(healthEnv.filter((name) => name !== 'PIC_HEALTHZ_URL').every((name) => cliEnv.has(name))).toBe(true);
    expect(healthEnv).toContain('PIC_CONFIG');
    const known = new Set([...cliEnv, ...healthEnv, ...[...COMPOSE.matchAll(/\$\{(\w+)/g)].map((m) => m[1] ?? '')]);
    for (const [doc, name] of named(/\b((?:PIC|DOCKER)_[A-Z_]+)\b/g))
      expect({ doc, name, known: known.has(name) }).toMatchObject({ known: true });
  });

  it('every document linked or section referenced is in the repository', () => {
    const links = named(/\]\(([^)\s]+)\)/g).filter(([, target]) => !/^[a-z]+:/.test(target));
    expect(links.length).toBeGreaterThan(0);
    for (const [doc, link] of links) {
      const [target = '', anchor] = link.split('#');
      const path = join(REPO, doc.startsWith('deploy/') ? 'deploy' : '.', target);
      expect({ doc, link, exists: existsSync(path) }).toMatchObject({ exists: true });
      // A section link lands on a heading of that document (GitHub's anchor: lower case, spaces as -).
      if (anchor === undefined) continue;
      const anchors = [...readFileSync(path, 'utf8').matchAll(/^#+ (.+)$/gm)].map((m) =>
        (m[1] ?? '')
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      );
      expect({ doc, link, heading: anchors.includes(anchor) }).toMatchObject({ heading: true });
    }
    for (const [doc, text] of Object.entries(DOCS))
      expect({ doc, design: /DESIGN\.md/.test(text) }).toMatchObject({ design: false });
  });

  it('the recipes build once: `npm ci` already runs the build (prepare)', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['prepare']).toBe('npm run build');
    const recipes: [string, string][] = [
      ...Object.entries(DOCS),
      ['deploy/pic-reconciler.service', read('deploy/pic-reconciler.service')],
    ];
    for (const [doc, text] of recipes)
      expect({ doc, twice: /npm ci && npm run build/.test(text) }).toMatchObject({ twice: false });
    // Root without sudo is common: the README says "as root".
    expect(read('README.md')).not.toContain('sudo npm run demo');
  });
});
