/**
 * The folders a state folder's watch needs, read from disk: the tree walked the way
 * read-state-dir.ts walks it (hidden entries and editor leftovers skipped, symlinks
 * followed, every real folder walked once so a loop ends), the files its `*.json` symlinks
 * resolve to, and the entries that decide where the folder points. Nothing here throws:
 * what cannot be read is left out, and the next event or poll scans again.
 */
import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isIgnoredName, type FolderId } from '../load/read-state-dir.js';
import type { AnchorEntry, StateTreeScan } from './plan-state-watches.js';
import { stateRelPath } from './classify-watch-event.js';

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

  const visit = async (id: FolderId, rel: string): Promise<void> => {
    const seen = folders.get(id.path);
    if (seen !== undefined) {
      seen.rels.push(rel);
      return;
    }
    folders.set(id.path, { id, rels: [rel] });
    const entries: Dirent[] = await readdir(id.path, { withFileTypes: true }).catch(() => []);
    // One entry at a time, depth first, in listing order: the order read-state-dir.ts walks in,
    // so a folder reached through several paths is first met at the same one.
    for (const entry of entries) {
      if (isIgnoredName(entry.name)) continue;
      const path = join(id.path, entry.name);
      const entryRel = stateRelPath(rel, entry.name);
      // A `*.json` entry is a state file (or an error), never a folder to walk.
      if (entry.name.endsWith('.json')) {
        if (!entry.isSymbolicLink()) continue;
        const target = await realpathOrNull(path);
        const folder = target === null ? null : await folderAt(dirname(target));
        if (target !== null && folder !== null) links.push({ rel: entryRel, folder, name: basename(target) });
      } else if (entry.isDirectory() || entry.isSymbolicLink()) {
        const folder = await folderAt(path);
        if (folder !== null) await visit(folder, entryRel);
      }
    }
  };
  await visit(root, '');
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
