/**
 * Which folders to watch for a state folder, and what each folder's entries mean: pure data
 * built from a scan of the tree (scan-state-tree.ts), diffed against the watches that are open.
 *
 * One `fs.watch` per folder, never per file: inotify on a folder reports every entry's
 * create, delete, rename, modify and attrib with the entry's name. A folder is keyed by its
 * real path and inode, so a folder deleted and recreated under the same path is watched anew.
 */

import { folderKey, type FolderId } from '../load/read-state-dir.js';

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

/** What events in one watched folder mean. */
export interface WatchSpec {
  readonly path: string;
  /** Where the folder sits in the state tree ('' for the root); empty when it is not part of the tree. */
  readonly rels: readonly string[];
  /** Entry names that may move the state folder. */
  readonly anchors: ReadonlySet<string>;
  /** Entry name → state paths of the `*.json` symlinks that resolve to it. */
  readonly links: ReadonlyMap<string, readonly string[]>;
}

/** Watch key (`ino:path`) → what its events mean. */
export type WatchPlan = ReadonlyMap<string, WatchSpec>;

interface SpecDraft {
  path: string;
  rels: string[];
  anchors: Set<string>;
  links: Map<string, string[]>;
}

/** Merges the tree, its symlink targets and the anchors into one spec per folder (a folder can be several at once). */
export function planStateWatches(tree: StateTreeScan, anchors: readonly AnchorEntry[]): WatchPlan {
  const plan = new Map<string, SpecDraft>();
  const draft = (id: FolderId): SpecDraft => {
    const key = folderKey(id);
    let spec = plan.get(key);
    if (spec === undefined) {
      spec = { path: id.path, rels: [], anchors: new Set(), links: new Map() };
      plan.set(key, spec);
    }
    return spec;
  };
  for (const folder of tree.folders) draft(folder.id).rels.push(...folder.rels);
  for (const link of tree.links) {
    const links = draft(link.folder).links;
    links.set(link.name, [...(links.get(link.name) ?? []), link.rel]);
  }
  for (const anchor of anchors) draft(anchor.folder).anchors.add(anchor.name);
  return plan;
}

/** The watches to close and to open so that the open ones are exactly the plan's. */
export function diffWatchSet(open: Iterable<string>, plan: WatchPlan): { add: string[]; remove: string[] } {
  const current = new Set(open);
  return {
    add: [...plan.keys()].filter((key) => !current.has(key)),
    remove: [...current].filter((key) => !plan.has(key)),
  };
}

/**
 * The tree folders being watched and the paths they sit at. When this changes (a folder
 * added, removed, replaced, or reached at another path), a change cannot be named file by file.
 */
export function watchedTree(plan: WatchPlan, open: ReadonlySet<string>): Map<string, string> {
  const tree = new Map<string, string>();
  for (const [key, spec] of plan) if (spec.rels.length > 0 && open.has(key)) tree.set(key, spec.rels.join('\0'));
  return tree;
}

export function sameTree(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  return a.size === b.size && [...a].every(([key, rels]) => b.get(key) === rels);
}
