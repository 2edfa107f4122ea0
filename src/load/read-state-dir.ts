/**
 * The state directory → its `*.json` files (DESIGN.md §3). The only part of load that
 * touches the filesystem.
 *
 * Hidden entries (`.git`, `.status`, `.#foo`) and editor leftovers are skipped.
 * Symlinks are followed (git-sync swaps a symlink to publish a revision), but every
 * real directory is walked once, so a symlink loop ends. Nothing here throws: a file
 * or folder that cannot be read is returned as an error entry, so that its resources
 * keep their last good version instead of being deleted; so is a `*.json` entry that is
 * no regular file (a FIFO or a folder where a file belongs).
 */
import type { Dirent } from 'node:fs';
import { constants } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { STATE_DIR_FILE } from './state-issue.js';
import type { StateFile } from './validate-state.js';

export const MAX_STATE_FILE_BYTES = 1024 * 1024;
const READ_BATCH = 64;

const LEFTOVER_SUFFIXES = ['.swp', '~', '.tmp'];

export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || LEFTOVER_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

/** Every state file under `dir`, sorted by path (relative, with `/`). */
export async function readStateDir(dir: string): Promise<StateFile[]> {
  const out: StateFile[] = [];
  let root: string;
  try {
    root = await realpath(dir);
    if (!(await stat(root)).isDirectory()) return [dirError(STATE_DIR_FILE, 'the state path is not a directory')];
  } catch (error) {
    return [dirError(STATE_DIR_FILE, `cannot open the state directory: ${reason(error)}`)];
  }
  await walk(root, '', new Set([root]), out);
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

async function walk(absDir: string, relDir: string, visited: Set<string>, out: StateFile[]): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(absDir, { withFileTypes: true });
  } catch (error) {
    out.push(dirError(relDir === '' ? STATE_DIR_FILE : relDir, `cannot list folder: ${reason(error)}`));
    return;
  }
  const files: [abs: string, rel: string][] = [];
  for (const entry of entries) {
    if (isIgnoredName(entry.name)) continue;
    const abs = join(absDir, entry.name);
    const rel = relDir === '' ? entry.name : `${relDir}/${entry.name}`;
    const isJson = entry.name.endsWith('.json');
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      try {
        const target = await stat(abs);
        isDir = target.isDirectory();
        isFile = target.isFile();
      } catch (error) {
        // A dangling link named like a state file may be an editor's save in flight: keep its last good version.
        if (isJson) out.push({ file: rel, error: `cannot follow symlink: ${reason(error)}` });
        continue;
      }
    }
    if (isJson && !isFile) {
      // A FIFO, socket, device or folder where a state file is expected (a botched mount or copy):
      // never open it (a FIFO blocks), and keep the file's last good version.
      out.push({ file: rel, error: isDir ? 'is a folder, expected a file' : 'is not a regular file' });
    } else if (isDir) {
      const real = await realpath(abs).catch(() => null);
      if (real === null) out.push(dirError(rel, 'cannot resolve folder'));
      else if (!visited.has(real)) {
        visited.add(real);
        await walk(real, rel, visited, out);
      }
    } else if (isJson) {
      files.push([abs, rel]);
    }
  }
  // A folder of thousands of peers: one file at a time costs a round trip through the thread pool
  // per open, stat, read and close; a bounded batch keeps the pool busy without running out of descriptors.
  for (let i = 0; i < files.length; i += READ_BATCH) {
    out.push(...(await Promise.all(files.slice(i, i + READ_BATCH).map(([abs, rel]) => readStateFile(abs, rel)))));
  }
}

async function readStateFile(abs: string, rel: string): Promise<StateFile> {
  let bytes: Buffer;
  try {
    // Non-blocking, so an entry swapped for a FIFO after the listing cannot hang the reconcile.
    const handle = await open(abs, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const info = await handle.stat();
      if (!info.isFile()) return { file: rel, error: 'is not a regular file' };
      const { size } = info;
      if (size > MAX_STATE_FILE_BYTES) return { file: rel, error: `file is larger than ${MAX_STATE_FILE_BYTES} bytes` };
      // One byte more than stat said, to notice a file that grows while we read it.
      const buffer = Buffer.alloc(size + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      if (bytesRead > size) return { file: rel, error: 'file changed while being read' };
      bytes = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    return { file: rel, error: `cannot read: ${reason(error)}` };
  }
  try {
    return { file: rel, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { file: rel, error: 'not valid UTF-8 text' };
  }
}

function dirError(file: string, error: string): StateFile {
  return { file, error, directory: true };
}

function reason(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.message : 'unknown error';
}
