/**
 * One `fs.watch` event on a folder → what it may have changed in the state tree. Pure: the
 * watcher decides from the event's name and the folder's spec, and leaves what a name alone
 * cannot tell (a new subfolder? did the state folder move?) to a rescan of the tree.
 */
import { basename } from 'node:path';
import { isIgnoredName } from '../load/read-state-dir.js';
import type { WatchSpec } from './plan-state-watches.js';

/** What changed in the state folder: state paths (relative, with `/`), or 'all' when that cannot be said. */
export type StateChanges = ReadonlySet<string> | 'all';

export interface WatchEventOutcome {
  /** State files that changed. */
  readonly paths: readonly string[];
  /** The change cannot be named file by file. */
  readonly all: boolean;
  /** The tree may have changed shape: scan it again, and report 'all' if it did. */
  readonly rescan: boolean;
}

export const NOTHING: WatchEventOutcome = { paths: [], all: false, rescan: false };
/** A watcher error or an event without a name: anything may have happened. */
export const UNKNOWN: WatchEventOutcome = { paths: [], all: true, rescan: true };

export function stateRelPath(folderRel: string, name: string): string {
  return folderRel === '' ? name : `${folderRel}/${name}`;
}

/**
 * `rename` is Node's name for an entry created, deleted or renamed (inotify CREATE, DELETE,
 * MOVED_FROM/TO); `change` for one modified in place (MODIFY, ATTRIB). Events about the
 * watched folder itself (deleted, moved) carry the folder's own name.
 */
export function classifyWatchEvent(spec: WatchSpec, event: 'rename' | 'change', name: string | null): WatchEventOutcome {
  if (name === null) return UNKNOWN;
  const replaced = event === 'rename';
  // The folder itself deleted or moved, or an entry of the same name: only a rescan can tell.
  const self = replaced && name === basename(spec.path);
  // Anchor names first: the state folder or a symlinked ancestor may well be hidden (`.state`).
  // They matter only when they move the folder, which the rescan finds out.
  if (spec.anchors.has(name)) return { paths: [], all: false, rescan: replaced };
  // A state file symlinked from the tree counts whatever its own name.
  const paths = [...(spec.links.get(name) ?? [])];
  // Hidden entries (.git, .status) and editor leftovers never matter, and our own .status writes must not loop back.
  const inTree = spec.rels.length > 0 && !isIgnoredName(name);
  if (inTree && name.endsWith('.json')) {
    const [rel, ...aliases] = spec.rels;
    // A folder reached through several paths: which one the loader walks depends on listing order.
    if (rel === undefined || aliases.length > 0) return { paths: [], all: true, rescan: replaced };
    paths.push(stateRelPath(rel, name));
  }
  // A `*.json` entry is never walked as a folder, but a replaced one may now be a symlink to
  // follow (or a link target gone); any other name may be a folder come or gone. In-place edits change no shape.
  const rescan = self || (replaced && (inTree || paths.length > 0));
  return paths.length === 0 && !rescan ? NOTHING : { paths, all: false, rescan };
}

/** Collects a burst's outcomes; `take` hands them over and starts the next burst empty. */
export class ChangeCollector {
  private paths = new Set<string>();
  private all = false;
  private rescan = false;

  /** False when the outcome adds nothing (no need to wake the debounce). */
  add(outcome: WatchEventOutcome): boolean {
    for (const path of outcome.paths) this.paths.add(path);
    this.all ||= outcome.all;
    this.rescan ||= outcome.rescan;
    return outcome.all || outcome.rescan || outcome.paths.length > 0;
  }

  take(): { paths: ReadonlySet<string>; all: boolean; rescan: boolean } {
    const taken = { paths: this.paths, all: this.all, rescan: this.rescan };
    this.paths = new Set();
    this.all = false;
    this.rescan = false;
    return taken;
  }
}

/** What to tell `onChange` after a burst, or null when nothing in the state changed. */
export function changeReport(burst: { paths: ReadonlySet<string>; all: boolean }, reshaped: boolean): StateChanges | null {
  if (burst.all || reshaped) return 'all';
  return burst.paths.size > 0 ? burst.paths : null;
}
