/**
 * The one walk of a state folder, for the loader (read-state-dir.ts) and the watcher's plan
 * (loop/scan-state-tree.ts) alike, so what is read and what is watched cannot drift apart:
 *
 * - hidden entries (`.git`, `.status`, `.#foo`) and editor leftovers (`*.swp`, `*~`, `*.tmp`) are skipped;
 * - a `*.json` entry is a state file (or an error entry), never a folder to walk;
 * - symlinks are followed (git-sync swaps a symlink to publish a revision), but every real folder
 *   is walked once, so a loop ends; a symlink to a folder that contains it is never walked (chokidar's
 *   directory reader, readdirp, refuses those too: so the loader never reads a folder nobody watches);
 * - depth first, one entry at a time, in listing order: a folder reached through several paths
 *   is walked at the first one met.
 *
 * Nothing here throws: what cannot be read is handed to the visitor as an error entry.
 */
import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { STATE_DIR_FILE } from '../text/state-issue.js';
import type { StateFile } from './validate-state.js';

const LEFTOVER_SUFFIXES = ['.swp', '~', '.tmp'];

export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || LEFTOVER_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

/**
 * A real folder: its path (no symlinks in it) and its inode. The one identity of a folder for the
 * loader and the watcher alike: a folder deleted and recreated under the same path (even with the
 * same inode number, which ext4 reuses) is a new folder to both.
 */
export interface FolderId {
  readonly path: string;
  readonly ino: number;
}

/** A FolderId as a map key (`ino:path`). */
export function folderKey(id: FolderId): string {
  return `${id.ino}:${id.path}`;
}

/** What a folder entry is to the state: a file to read, a folder to walk, an error entry, or nothing. */
export type ListedEntry =
  | { readonly kind: 'skip' }
  | { readonly kind: 'file'; readonly symlink: boolean }
  | { readonly kind: 'dir' }
  | { readonly kind: 'error'; readonly entry: StateFile };

export interface EntryType {
  isDirectory(): boolean;
  isFile(): boolean;
  isSymbolicLink(): boolean;
}

export async function classifyEntry(abs: string, rel: string, name: string, type: EntryType): Promise<ListedEntry> {
  const isJson = name.endsWith('.json');
  const symlink = type.isSymbolicLink();
  let isDir = type.isDirectory();
  let isFile = type.isFile();
  if (symlink) {
    try {
      const target = await stat(abs);
      isDir = target.isDirectory();
      isFile = target.isFile();
    } catch (error) {
      // A dangling link named like a state file may be an editor's save in flight: keep its last good version.
      return isJson
        ? { kind: 'error', entry: { file: rel, error: `cannot follow symlink: ${reason(error)}` } }
        : { kind: 'skip' };
    }
  }
  // A FIFO, socket, device or folder where a state file is expected (a botched mount or copy):
  // never open it (a FIFO blocks), and keep the file's last good version.
  if (isJson && !isFile)
    return {
      kind: 'error',
      entry: { file: rel, error: isDir ? 'is a folder, expected a file' : 'is not a regular file' },
    };
  if (isDir) return { kind: 'dir' };
  return isJson ? { kind: 'file', symlink } : { kind: 'skip' };
}

export interface StateTreeVisitor {
  /** A folder listed: its real path and state path (`''` for the root), before any of its entries. */
  folder(real: string, rel: string): Promise<void> | void;
  /** A folder met again through a symlink (not walked twice). */
  alias(real: string, rel: string): void;
  /** A state file (`abs` through the real path of its folder). */
  file(abs: string, rel: string, symlink: boolean): Promise<void> | void;
  /** What cannot be read: an error entry for the loader to report. */
  error(entry: StateFile): void;
}

/** Walks the state folder at `rootReal` (a real path) by the rules above. */
export async function walkStateTree(rootReal: string, visitor: StateTreeVisitor): Promise<void> {
  const visited = new Set([rootReal]);
  const walk = async (absDir: string, relDir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(absDir, { withFileTypes: true });
    } catch (error) {
      visitor.error(dirError(relDir === '' ? STATE_DIR_FILE : relDir, `cannot list folder: ${reason(error)}`));
      return;
    }
    await visitor.folder(absDir, relDir);
    for (const entry of entries) {
      if (isIgnoredName(entry.name)) continue;
      const abs = join(absDir, entry.name);
      const rel = relDir === '' ? entry.name : `${relDir}/${entry.name}`;
      const listed = await classifyEntry(abs, rel, entry.name, entry);
      if (listed.kind === 'error') visitor.error(listed.entry);
      else if (listed.kind === 'file') await visitor.file(abs, rel, listed.symlink);
      else if (listed.kind === 'dir') {
        const real = await realpath(abs).catch(() => null);
        if (real === null) visitor.error(dirError(rel, 'cannot resolve folder'));
        else if (visited.has(real)) visitor.alias(real, rel);
        else if (!join(rootReal, rel).startsWith(real + sep)) {
          visited.add(real);
          await walk(real, rel);
        }
      }
    }
  };
  await walk(rootReal, '');
}

export function dirError(file: string, error: string): StateFile {
  return { file, error, directory: true };
}

export function reason(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string')
    return error.code;
  return error instanceof Error ? error.message : 'unknown error';
}
