import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { StateFileSpec } from './synthetic-state.js';

export function stateFileText(spec: StateFileSpec): string {
  return `${JSON.stringify(spec.content, null, 2)}\n`;
}

/** Writes every file of a synthetic state under `dir`. */
export async function writeStateDir(dir: string, files: readonly StateFileSpec[]): Promise<void> {
  const folders = new Set(files.map((file) => dirname(join(dir, file.path))));
  await Promise.all([...folders].map((folder) => mkdir(folder, { recursive: true })));
  // A few hundred at a time: thousands of open files at once would hit the descriptor limit.
  for (let i = 0; i < files.length; i += 256) {
    await Promise.all(files.slice(i, i + 256).map((file) => writeFile(join(dir, file.path), stateFileText(file))));
  }
}

/** Saves one file the way editors do: a hidden temp file renamed over the old one. */
export async function saveStateFile(dir: string, file: StateFileSpec): Promise<void> {
  const path = join(dir, file.path);
  const temp = join(dirname(path), `.${file.path.split('/').at(-1) ?? 'file'}.bench-save`);
  await writeFile(temp, stateFileText(file));
  await rename(temp, path);
}
