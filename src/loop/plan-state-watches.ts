/**
 * What chokidar is to watch for a state folder, as pure data built from a scan of the tree
 * (scan-state-tree.ts, which walks by the loader's rules): exactly the folders the loader
 * walks, at the paths it walks them, and the `*.json` symlinks in them. Everything else is
 * chokidar's `ignored`, so it never opens a watch per file, never walks a hidden folder or a
 * symlink loop, and names every changed file by the state path the loader reads it at.
 */
import { join } from 'node:path';
import { folderKey, type FolderId } from '../load/walk-state-tree.js';

/** The state tree as read-state-dir.ts walks it. */
export interface StateTreeScan {
  /** The state folder itself, or null while it cannot be resolved to a folder. */
  readonly root: FolderId | null;
  /** Every real folder walked, root first; `rels[0]` is the path it is walked at, later ones are symlinks to it. */
  readonly folders: readonly { readonly id: FolderId; readonly rels: readonly string[] }[];
  /** `*.json` symlinks: their state path, and the folder and name of the file they resolve to. */
  readonly links: readonly { readonly rel: string; readonly folder: FolderId; readonly name: string }[];
}

/** A folder entry that decides where the state folder points: the folder in its parent, or a symlinked ancestor in its own. */
export interface AnchorEntry {
  readonly folder: FolderId;
  readonly name: string;
}

/** A watched folder: its state path, and whether the loader also reaches it through another path. */
export interface WatchedFolder {
  readonly rel: string;
  readonly aliased: boolean;
}

export interface WatchPlan {
  /** The real path chokidar is started on, or null while the folder cannot be resolved. */
  readonly root: string | null;
  /** Absolute path (as chokidar walks it: the root's real path, then state paths) → the folder there. */
  readonly folders: ReadonlyMap<string, WatchedFolder>;
  /** Absolute path of each `*.json` symlink → its state path (chokidar watches these files themselves). */
  readonly links: ReadonlyMap<string, string>;
  /** Changes whenever a watch would have to move: a folder added, removed, replaced or re-aliased, a link retargeted, the root moved. */
  readonly shape: string;
}

export const EMPTY_PLAN: WatchPlan = { root: null, folders: new Map(), links: new Map(), shape: '' };

export function planStateWatches(tree: StateTreeScan): WatchPlan {
  if (tree.root === null) return EMPTY_PLAN;
  const root = tree.root.path;
  const folders = new Map<string, WatchedFolder>();
  const shape: string[] = [folderKey(tree.root)];
  for (const { id, rels } of tree.folders) {
    const [rel, ...aliases] = rels;
    if (rel === undefined) continue;
    folders.set(join(root, rel), { rel, aliased: aliases.length > 0 });
    shape.push(`${folderKey(id)}\0${rels.join('\0')}`);
  }
  const links = new Map<string, string>();
  for (const link of tree.links) {
    links.set(join(root, link.rel), link.rel);
    shape.push(`${link.rel}\0${folderKey(link.folder)}\0${link.name}`);
  }
  return { root, folders, links, shape: shape.join('\n') };
}

/** chokidar's `ignored`: anything it has a type for (stats) that the plan does not list; asked again with stats before any watch opens. */
export function ignoredBy(plan: WatchPlan): (path: string, stats?: unknown) => boolean {
  return (path, stats) => stats !== undefined && !plan.folders.has(path) && !plan.links.has(path);
}
