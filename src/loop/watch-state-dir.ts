import { watch, type FSWatcher } from 'node:fs';
import { basename, resolve } from 'node:path';
import { debounce } from './debounce.js';
import { ChangeCollector, changeReport, classifyWatchEvent, UNKNOWN, type StateChanges, type WatchEventOutcome } from './classify-watch-event.js';
import { folderKey } from '../load/read-state-dir.js';
import { diffWatchSet, planStateWatches, sameTree, watchedTree, type WatchPlan } from './plan-state-watches.js';
import { scanAnchors, scanStateTree } from './scan-state-tree.js';

export type { StateChanges } from './classify-watch-event.js';

export interface StateDirWatcher {
  /** Scans the tree again (the resync's check on the watches themselves); reports 'all' if its shape changed. */
  recheck(): void;
  close(): Promise<void>;
}

/** While the folder cannot be resolved (a dangling symlink) or a folder cannot be watched, how often to look again. */
const RETRY_POLL_MS = 1_000;
/** A poll tick: look at the tree again, and report only if its shape changed. */
const RECHECK: WatchEventOutcome = { paths: [], all: false, rescan: true };

/**
 * Watches a state folder and calls `onChange` once per burst of changes (`quietMs` after the
 * last event, at most `maxWaitMs` after the first), after the burst has settled, with the
 * state paths that changed, or 'all' when that cannot be said file by file (the folder moved,
 * swapped or recreated, a subfolder added or removed, a watcher error).
 *
 * One non-recursive `fs.watch` per folder, never per file (inotify on a folder names every
 * entry that changes; a watch per file costs an inotify watch and a few hundred bytes each, at
 * thousands of peers): every folder of the tree as read-state-dir.ts walks it (symlinked
 * subfolders followed), the folders holding the files that `*.json` symlinks resolve to, and
 * the parents of the folder and of each symlinked ancestor, where only those entries' names
 * count (a busy parent like /tmp must not trigger reconciles).
 *
 * Survives what GitOps and editors do to it: editors' atomic saves (write temp, rename),
 * git-sync's atomic symlink swap (the folder's real path changes; the old tree is deleted),
 * and the folder being deleted and created again. Whenever an event may have changed the
 * tree's shape, the tree is scanned again before `onChange`, and the watches follow it, so
 * the reload that follows a new subfolder sees everything written into it. While the folder
 * cannot be resolved at all, or a folder cannot be watched, it is looked at every second.
 */
export async function watchStateDir(
  dir: string,
  onChange: (changes: StateChanges) => void,
  options: { quietMs: number; maxWaitMs: number },
): Promise<StateDirWatcher> {
  const absolute = resolve(dir);
  const open = new Map<string, FSWatcher>();
  const collected = new ChangeCollector();
  let plan: WatchPlan = new Map();
  let rootKey: string | null = null;
  let closed = false;
  let retryPoll: NodeJS.Timeout | null = null;
  let flushing: Promise<void> = Promise.resolve();

  const record = (outcome: WatchEventOutcome): void => {
    if (collected.add(outcome) && !closed) burst.call();
  };

  const unwatch = (key: string): void => {
    open.get(key)?.close();
    open.delete(key);
  };

  /** Opens one folder's watch; false when it cannot (gone meanwhile, out of inotify watches). */
  const watchFolder = (key: string): boolean => {
    const path = plan.get(key)?.path;
    if (path === undefined) return true;
    try {
      const watcher = watch(path, (event, name) => {
        // The folder itself deleted or moved: its inotify watch is dead, even when a new folder comes
        // back with the same inode number (ext4 reuses them), so drop it and let the rescan open a new one.
        if (event === 'rename' && name === basename(path)) {
          if (open.get(key) === watcher) unwatch(key);
          record(UNKNOWN);
          return;
        }
        // The plan of the moment says what the name means; a folder dropped from it is about to be closed.
        const spec = plan.get(key);
        if (spec !== undefined) record(classifyWatchEvent(spec, event, name));
      });
      watcher.on('error', () => {
        if (open.get(key) === watcher) unwatch(key);
        record(UNKNOWN);
      });
      open.set(key, watcher);
      return true;
    } catch {
      return false;
    }
  };

  const setRetryPoll = (on: boolean): void => {
    if (on && retryPoll === null) {
      retryPoll = setInterval(() => record(RECHECK), RETRY_POLL_MS);
      retryPoll.unref();
    } else if (!on && retryPoll !== null) {
      clearInterval(retryPoll);
      retryPoll = null;
    }
  };

  /** Scans the tree, moves the watches to it; true when its shape changed (files can no longer be named one by one). */
  const rescan = async (): Promise<boolean> => {
    const [tree, anchors] = await Promise.all([scanStateTree(absolute), scanAnchors(absolute)]);
    if (closed) return false;
    const before = watchedTree(plan, new Set(open.keys()));
    const beforeRoot = rootKey;
    plan = planStateWatches(tree, anchors);
    rootKey = tree.root === null ? null : folderKey(tree.root);
    const { add, remove } = diffWatchSet(open.keys(), plan);
    remove.forEach(unwatch);
    const failed = add.filter((key) => !watchFolder(key));
    setRetryPoll(rootKey === null || failed.length > 0);
    return rootKey !== beforeRoot || !sameTree(before, watchedTree(plan, new Set(open.keys())));
  };

  /** One burst: rescan first when needed, so a new subfolder is watched before the reload it triggers. */
  const flush = async (): Promise<void> => {
    const taken = collected.take();
    const reshaped = taken.rescan ? await rescan() : false;
    const report = changeReport(taken, reshaped);
    if (report !== null && !closed) onChange(report);
  };

  // One flush at a time, so two bursts can never leave two watches behind. A throwing
  // onChange must not break the chain (every later burst would be lost) nor crash the process.
  const burst = debounce(() => void (flushing = flushing.then(flush).catch(() => undefined)), options.quietMs, options.maxWaitMs);

  await rescan();

  return {
    recheck: () => record(RECHECK),
    async close() {
      closed = true;
      burst.cancel();
      setRetryPoll(false);
      await flushing;
      for (const key of [...open.keys()]) unwatch(key);
    },
  };
}
