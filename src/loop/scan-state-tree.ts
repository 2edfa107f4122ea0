/**
 * The folders a state folder's watch needs, read from disk: the tree walked by the loader's
 * own walk (walk-state-tree.ts), each folder's identity, its `*.json` symlinks and what they
 * resolve to, and the entries that decide where the folder points. Nothing here throws: what
 * cannot be read is left out, and the next event or poll scans again.
 */
import type { Stats } from 'node:fs';
import { lstat, realpath, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { walkStateTree, type FolderId } from '../load/walk-state-tree.js';
import type { AnchorEntry, StateTreeScan } from './plan-state-watches.js';

const statOrNull = (path: string): Promise<Stats | null> => stat(path).catch(() => null);
const realpathOrNull = (path: string): Promise<string | null> => realpath(path).catch(() => null);

/** `path` resolved to a real folder, or null. */
async function folderAt(path: string): Promise<FolderId | null> {
  const real = await realpathOrNull(path);
  const info = real === null ? null : await statOrNull(real);
  return real !== null && info?.isDirectory() === true ? { path: real, ino: info.ino } : null;
}

export async function scanStateTree(dir: string): Promise<StateTreeScan> {
  const root = await folderAt(dir);
  if (root === null) return { root: null, folders: [], links: [] };
  const folders = new Map<string, { id: FolderId; rels: string[] }>();
  const links: { rel: string; folder: FolderId; name: string }[] = [];
  await walkStateTree(root.path, {
    async folder(real, rel) {
      const id = real === root.path ? root : await folderAt(real);
      if (id !== null) folders.set(real, { id, rels: [rel] });
    },
    alias: (real, rel) => void folders.get(real)?.rels.push(rel),
    async file(abs, rel, symlink) {
      if (!symlink) return;
      const target = await realpathOrNull(abs);
      const folder = target === null ? null : await folderAt(dirname(target));
      if (target !== null && folder !== null) links.push({ rel, folder, name: basename(target) });
    },
    error: () => undefined,
  });
  return { root, folders: [...folders.values()], links };
}

/**
 * The folder entries that decide where `dir` points: `dir` itself in its parent, and every
 * symlinked ancestor in its own parent (git-sync publishes a revision by renaming a new
 * symlink over the old one). Parents that cannot be resolved are left out.
 */
export async function scanAnchors(dir: string): Promise<AnchorEntry[]> {
  const entries = [dir];
  for (let path = dirname(dir); dirname(path) !== path; path = dirname(path)) {
    const info = await lstat(path).catch(() => null);
    if (info?.isSymbolicLink() === true) entries.push(path);
  }
  const anchors = await Promise.all(
    entries.map(async (entry) => {
      const folder = await folderAt(dirname(entry));
      return folder === null ? null : { folder, name: basename(entry) };
    }),
  );
  return anchors.filter((anchor) => anchor !== null);
}
