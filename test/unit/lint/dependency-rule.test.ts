import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Rule {
  readonly name: string;
  readonly from: { readonly pathNot?: string };
}

/** The folder order the rule encodes, top to bottom, read from its `known-folder` rule. */
function ruleOrder(): string[] {
  const config = createRequire(import.meta.url)(CONFIG) as { forbidden: readonly Rule[] };
  const known = config.forbidden.find((rule) => rule.name === 'known-folder')?.from.pathNot ?? '';
  return /^\^src\/\((.*)\)\/$/.exec(known)?.[1]?.split('|') ?? [];
}

/** Runs dependency-cruiser with the real config on `src` under `cwd`: its exit code and report. */
async function depcruise(cwd: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [DEPCRUISE, 'src', '--config', CONFIG], { cwd });
    return { code: 0, out: stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, out: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

describe('the folder order (dependency-cruiser)', () => {
  const dir = useTempDir('pic-depcruise-');

  it('fails on an upward, a type-only upward and a sibling import, and passes a downward one', async () => {
    await writeTree(dir(), {
      'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }),
      'src/model/low.ts': "import { high } from '../loop/high.js';\nexport const low = high;\n",
      'src/loop/high.ts': 'export const high = 1;\n',
      'src/loop/down.ts': "import { low } from '../model/low.js';\nexport const down = low;\n",
      'src/notify/listener.ts': "import type { Status } from '../status/status.js';\nexport type Seen = Status;\n",
      'src/notify/typed.ts': "import type { Up } from '../loop/types.js';\nexport type Mine = Up;\n",
      'src/loop/types.ts': 'export type Up = number;\n',
      'src/status/status.ts': 'export type Status = string;\n',
      'src/http/serve.ts': "import type { Seen } from '../notify/listener.js';\nexport type Served = Seen;\n",
    });
    const { code, out } = await depcruise(dir());
    expect(code).not.toBe(0);
    expect(out).toContain('model-imports-only-above: src/model/low.ts → src/loop/high.ts');
    expect(out).toContain('notify-imports-only-above: src/notify/typed.ts → src/loop/types.ts');
    expect(out).toContain('http-imports-only-above: src/http/serve.ts → src/notify/listener.ts');
    expect(out).not.toContain('src/loop/down.ts');
    expect(out).not.toContain('src/notify/listener.ts → src/status/status.ts');
  });

  it('fails on a folder the order does not name', async () => {
    await writeTree(dir(), {
      'tsconfig.json': '{}',
      'src/extra/a.ts': "import { b } from '../model/b.js';\nexport const a = b;\n",
      'src/model/b.ts': 'export const b = 1;\n',
    });
    const { code, out } = await depcruise(dir());
    expect(code).not.toBe(0);
    expect(out).toContain('known-folder: src/extra/a.ts → src/model/b.ts');
  });

  it('passes on the real tree, and npm run lint runs it', async () => {
    const { code, out } = await depcruise(ROOT);
    expect(out).toContain('no dependency violations found');
    expect(code).toBe(0);
    const scripts = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: { lint: string } })
      .scripts;
    expect(scripts.lint).toContain('depcruise src --config .dependency-cruiser.cjs');
  });

  it("names every folder of src/ once, in README's Source layout order", async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Source layout'));
    const block = section.slice(section.indexOf('```text'), section.indexOf('```\n', section.indexOf('```text') + 7));
    const listed = [...block.matchAll(/^src\/([a-z]+)\//gm)].map((match) => match[1]);
    expect(listed).toEqual(ruleOrder());
    const folders = (await readdir(join(ROOT, 'src'), { withFileTypes: true })).filter((e) => e.isDirectory());
    expect(folders.map((e) => e.name).sort()).toEqual([...ruleOrder()].sort());
  });
});
