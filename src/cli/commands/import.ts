import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { layoutOf } from '../../config/controller-config.js';
import { formatFinding } from '../../import/import-finding.js';
import { inferState } from '../../import/infer-state.js';
import { stateFiles, type SchemaRef } from '../../import/state-files.js';
import { loadState } from '../../load/load-state.js';
import { holdCellLock } from '../../lock/cell-lock.js';
import { observeCell } from '../../observe/observe-cell.js';
import { observeSaved } from '../../observe/observe-saved.js';
import type { CliValues } from '../cli-values.js';
import { isDirectory, printError, printIssues, readConfig, requireOption } from '../cli-common.js';
import { openCellTargets } from '../../targets/open-cell-targets.js';
import { packageRoot } from '../package-root.js';

/** The package's shipped schemas: `schema/` beside `src/` and `dist/`. */
const SCHEMA_DIR = join(packageRoot(), 'schema');

/** Import writes a fresh state directory; it never mixes its files into an existing one. */
async function isEmptyOrMissing(dir: string): Promise<boolean> {
  return readdir(dir).then(
    (entries) => entries.length === 0,
    (error: NodeJS.ErrnoException) => error.code === 'ENOENT',
  );
}

function schemaRefFrom(outDir: string): SchemaRef {
  return (file, schemaFile) =>
    relative(dirname(join(outDir, file)), join(SCHEMA_DIR, schemaFile))
      .split(sep)
      .join('/');
}

/**
 * `import`: reads a live cell the seed manages (or one saved with the files `plan --from-dump`
 * reads) and writes the state directory that reproduces its access rules, printing one
 * line per thing it inferred, changed on purpose or could not work out.
 * Exit 0 when the written state validates, 1 otherwise.
 */
export async function runImport(values: CliValues): Promise<number> {
  const outOption = requireOption(values.out, '--out');
  if (outOption === null) return 1;
  const outDir = resolve(outOption);
  const config = await readConfig(values);
  if (config === null) return 1;
  const layout = layoutOf(config);
  if (!(await isEmptyOrMissing(outDir))) {
    printError(`--out ${outOption}: exists and is not empty; import writes a new state directory`);
    return 1;
  }
  const dump = values['from-dump'];
  if (dump !== undefined && !(await isDirectory(dump))) {
    printError(`--from-dump ${dump}: not a directory`);
    return 1;
  }
  const refusal = dump === undefined ? await holdCellLock(config.targets.wireguard, config.lock_dir) : null;
  if (refusal !== null) {
    printError(refusal);
    return 1;
  }
  const { observed } = dump ? await observeSaved(dump, layout) : await observeCell(openCellTargets(config), layout);
  const result = inferState(observed, layout);
  for (const line of result.findings) process.stdout.write(`${formatFinding(line)}\n`);
  if (!result.ok) {
    printError(result.error);
    return 1;
  }
  const files = stateFiles(result.state, schemaRefFrom(outDir));
  for (const file of files) {
    const path = join(outDir, ...file.path.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.text);
  }
  const loaded = await loadState(outDir);
  printIssues(outOption, loaded.issues);
  if (loaded.issues.length > 0 || loaded.state === null) {
    printError(`${outOption}: the imported state does not validate; fix the files above before using it`);
    return 1;
  }
  const { peers, links } = result.state;
  process.stdout.write(
    `\nwrote ${files.length} files to ${outOption} (cell ${result.state.cell.name}, ${peers.length} peers, ${links.length} cell links); they validate.\n` +
      `next: pic-reconciler plan --state ${outOption}${values.config ? ` --config ${values.config}` : ''}   (the first apply removes the seed's rules in the same transaction)\n`,
  );
  return 0;
}
