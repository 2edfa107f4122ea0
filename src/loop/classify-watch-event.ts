/**
 * One event from the state folder's watch → what it may have changed in the state tree. Pure:
 * the watcher decides from the event and the plan of the moment, and leaves what a name alone
 * cannot tell (a new subfolder? did the state folder move?) to a scan of the tree.
 */
import { basename } from 'node:path';
import { isIgnoredName } from '../load/walk-state-tree.js';
import type { WatchPlan } from './plan-state-watches.js';

/** What changed in the state folder: state paths (relative, with `/`), or 'all' when that cannot be said. */
export type StateChanges = ReadonlySet<string> | 'all';

export interface WatchEventOutcome {
  /** State files that changed. */
  readonly paths: readonly string[];
  /** The change cannot be named file by file. */
  readonly all: boolean;
  /** The tree may have changed shape: scan it again, and report 'all' if it did. */
  readonly rescan: boolean;
  /** A watch is dead or unsure (a folder deleted, even if one with the same inode is back; an error): start chokidar again. */
  readonly restart: boolean;
}

export const NOTHING: WatchEventOutcome = { paths: [], all: false, rescan: false, restart: false };
export const RESCAN: WatchEventOutcome = { paths: [], all: false, rescan: true, restart: false };
/** A watcher error, a folder come or gone under chokidar, an event it cannot place: anything may have happened. */
export const UNKNOWN: WatchEventOutcome = { paths: [], all: true, rescan: true, restart: true };

function stateRelPath(folderRel: string, name: string): string {
  return folderRel === '' ? name : `${folderRel}/${name}`;
}

/**
 * chokidar's `raw` event: Node's fs.watch event on `watchedPath`, for the entry `name`.
 * `rename` is an entry created, deleted or renamed (inotify CREATE, DELETE, MOVED_FROM/TO),
 * `change` one modified in place (MODIFY, ATTRIB); the watched folder itself deleted or moved
 * comes as `rename` with its own name.
 */
export function classifyRawEvent(
  plan: WatchPlan,
  event: string,
  name: string | null,
  watchedPath: string | null,
): WatchEventOutcome {
  if (name === null || watchedPath === null) return UNKNOWN;
  // A `*.json` symlink's own watch: chokidar's change/unlink events name it.
  if (plan.links.has(watchedPath)) return NOTHING;
  const folder = plan.folders.get(watchedPath);
  if (folder === undefined) return UNKNOWN;
  const replaced = event === 'rename';
  // The folder itself deleted or moved: its inotify watch is dead, even when a new folder comes
  // back with the same inode number (ext4 reuses them), and chokidar, comparing names only, would keep it.
  if (replaced && name === basename(watchedPath)) return UNKNOWN;
  // Hidden entries (.git, .status) and editor leftovers never matter, and our own .status writes must not loop back.
  if (isIgnoredName(name)) return NOTHING;
  if (name.endsWith('.json')) {
    // A folder reached through several paths: which one the loader reads it at depends on listing order.
    if (folder.aliased) return { ...NOTHING, all: true, rescan: replaced };
    // A replaced one may now be a symlink to follow (or a folder, an error entry).
    return { ...NOTHING, paths: [stateRelPath(folder.rel, name)], rescan: replaced };
  }
  // Any other name may be a folder come or gone; in-place edits change no shape.
  return replaced ? RESCAN : NOTHING;
}

/** chokidar's add/change/unlink, which it emits only for the `*.json` symlinks it watches (their target's own watch). */
export function classifyLinkEvent(plan: WatchPlan, path: string): WatchEventOutcome {
  const rel = plan.links.get(path);
  return rel === undefined ? UNKNOWN : { ...NOTHING, paths: [rel] };
}

/** Collects a burst's outcomes; `take` hands them over and starts the next burst empty. */
export class ChangeCollector {
  private paths = new Set<string>();
  private all = false;
  private rescan = false;
  private restart = false;

  /** False when the outcome adds nothing (no need to wake the debounce). */
  add(outcome: WatchEventOutcome): boolean {
    for (const path of outcome.paths) this.paths.add(path);
    this.all ||= outcome.all;
    this.rescan ||= outcome.rescan;
    this.restart ||= outcome.restart;
    return outcome.all || outcome.rescan || outcome.restart || outcome.paths.length > 0;
  }

  take(): { paths: ReadonlySet<string>; all: boolean; rescan: boolean; restart: boolean } {
    const taken = { paths: this.paths, all: this.all, rescan: this.rescan, restart: this.restart };
    this.paths = new Set();
    this.all = false;
    this.rescan = false;
    this.restart = false;
    return taken;
  }
}

/** What to tell `onChange` after a burst, or null when nothing in the state changed. */
export function changeReport(
  burst: { paths: ReadonlySet<string>; all: boolean },
  reshaped: boolean,
): StateChanges | null {
  if (burst.all || reshaped) return 'all';
  return burst.paths.size > 0 ? burst.paths : null;
}
