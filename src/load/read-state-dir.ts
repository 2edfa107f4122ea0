/**
 * The state directory → its `*.json` files (DESIGN.md §3). The only part of load that
 * touches the filesystem.
 *
 * The folder is walked by walk-state-tree.ts, the rules the watcher follows too. Nothing here
 * throws: a file or folder that cannot be read is returned as an error entry, so that its
 * resources keep their last good version instead of being deleted; so is a `*.json` entry
 * that is no regular file (a FIFO or a folder where a file belongs).
 */
import { constants } from 'node:fs';
import { lstat, open, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { STATE_DIR_FILE } from '../text/state-issue.js';
import type { StateFile } from './validate-state.js';
import { classifyEntry, dirError, folderKey, isIgnoredName, reason, walkStateTree } from './walk-state-tree.js';

export const MAX_STATE_FILE_BYTES = 1024 * 1024;
const READ_BATCH = 64;

/** What a full read found: the state files, and the folders it walked (relative, `''` for the root). */
export interface StateDirListing {
  /** The state folder's folderKey when it was read (`null` when it could not be opened). */
  readonly root: string | null;
  readonly files: StateFile[];
  readonly dirs: ReadonlySet<string>;
}

/** Every state file under `dir`, sorted by path (relative, with `/`). */
export async function readStateDir(dir: string): Promise<StateFile[]> {
  return (await listStateDir(dir)).files;
}

export async function listStateDir(dir: string): Promise<StateDirListing> {
  const out: StateFile[] = [];
  const dirs = new Set<string>();
  const root = await openRoot(dir);
  if (!root.ok) return { root: null, files: [root.error], dirs };
  const files: [abs: string, rel: string][] = [];
  await walkStateTree(root.real, {
    folder: (_real, rel) => void dirs.add(rel),
    alias: () => undefined,
    file: (abs, rel) => void files.push([abs, rel]),
    error: (entry) => void out.push(entry),
  });
  // Thousands of peers: one file at a time costs a round trip through the thread pool per open,
  // stat, read and close; a bounded batch keeps the pool busy without running out of descriptors.
  for (let i = 0; i < files.length; i += READ_BATCH) {
    out.push(...(await Promise.all(files.slice(i, i + READ_BATCH).map(([abs, rel]) => readStateFile(abs, rel)))));
  }
  return { root: root.key, files: out.sort(byFile), dirs };
}

/**
 * A listing brought up to date for the entries named in `changed` (relative paths an fs watch
 * reported) and those it could not read. A file in a folder the listing walked is read again, or dropped when gone; anything
 * the listing cannot place this way (a folder added or removed, the root moved) is read in full.
 */
export async function relistStateDir(
  dir: string,
  listing: StateDirListing,
  changed: Iterable<string>,
): Promise<StateDirListing> {
  const root = await openRoot(dir);
  if (!root.ok || root.key !== listing.root) return listStateDir(dir);
  const files = new Map(listing.files.map((entry) => [entry.file, entry]));
  // Entries that could not be read last time are tried again: the cause may have been passing (EMFILE, EIO).
  const unreadable = listing.files.filter((entry) => 'error' in entry).map((entry) => entry.file);
  for (const rel of new Set([...changed, ...unreadable])) {
    if (rel.split('/').some(isIgnoredName)) continue;
    const slash = rel.lastIndexOf('/');
    const relDir = slash < 0 ? '' : rel.slice(0, slash);
    if (!listing.dirs.has(relDir) || listing.dirs.has(rel)) return listStateDir(dir);
    const abs = join(root.real, rel);
    const info = await lstat(abs).catch(() => null);
    const entry = info === null ? null : await classifyEntry(abs, rel, rel.slice(slash + 1), info);
    if (entry?.kind === 'dir') return listStateDir(dir);
    if (entry === null || entry.kind === 'skip') files.delete(rel);
    else files.set(rel, entry.kind === 'file' ? await readStateFile(abs, rel) : entry.entry);
  }
  return { root: listing.root, files: [...files.values()].sort(byFile), dirs: listing.dirs };
}

function byFile(a: StateFile, b: StateFile): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : 0;
}

async function openRoot(
  dir: string,
): Promise<{ ok: true; real: string; key: string } | { ok: false; error: StateFile }> {
  try {
    const real = await realpath(dir);
    const info = await stat(real);
    if (!info.isDirectory()) return { ok: false, error: dirError(STATE_DIR_FILE, 'the state path is not a directory') };
    return { ok: true, real, key: folderKey({ path: real, ino: info.ino }) };
  } catch (error) {
    return { ok: false, error: dirError(STATE_DIR_FILE, `cannot open the state directory: ${reason(error)}`) };
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
