import { resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { debounce } from './debounce.js';
import {
  ChangeCollector,
  changeReport,
  classifyLinkEvent,
  classifyRawEvent,
  RESCAN,
  UNKNOWN,
  type StateChanges,
  type WatchEventOutcome,
} from './classify-watch-event.js';
import { EMPTY_PLAN, ignoredBy, planStateWatches, type WatchPlan } from './plan-state-watches.js';
import { scanAnchors, scanStateTree } from './scan-state-tree.js';
import { AnchorWatches } from './watch-anchors.js';

export type { StateChanges } from './classify-watch-event.js';

export interface StateDirWatcher {
  /** Scans the tree again (the resync's check on the watches themselves); reports 'all' if its shape changed. */
  recheck(): void;
  close(): Promise<void>;
}

/** While the folder cannot be resolved (a dangling symlink) or a watch cannot be opened, how often to look again. */
const RETRY_POLL_MS = 1_000;
/** chokidar's walk stalls when a folder it is reading turns into a file (readdirp then never ends): do not wait forever. */
const READY_TIMEOUT_MS = 2_000;

/** The raw event's third argument: chokidar's `{ watchedPath }` for fs.watch, other shapes when polling. */
function watchedPathOf(details: unknown): string | null {
  return typeof details === 'object' &&
    details !== null &&
    'watchedPath' in details &&
    typeof details.watchedPath === 'string'
    ? details.watchedPath
    : null;
}

/**
 * Watches a state folder with chokidar and calls `onChange` once per burst of changes
 * (`quietMs` after the last event, at most `maxWaitMs` after the first), after the burst has
 * settled, with the state paths that changed, or 'all' when that cannot be said file by file
 * (the folder moved, swapped or recreated, a subfolder added or removed, a watcher error).
 *
 * chokidar watches exactly the folders the loader walks (its `ignored` is the walk's plan,
 * plan-state-watches.ts): one fs.watch per folder, never per file, since inotify on a folder
 * names every entry that changes; its `raw` events name the `*.json` files. It also watches
 * each `*.json` symlink itself (a watch on the file it resolves to). What chokidar does not
 * handle is done here: it cannot see the folder's own symlink swapped (git-sync) nor a folder
 * deleted and recreated at once (it compares names, and keeps the dead watch), so the entries
 * that decide where the folder points are watched too (watch-anchors.ts), and whenever the
 * tree may have changed shape it is scanned again and, if it did, chokidar is started afresh
 * on it before `onChange` hears 'all', so the reload sees everything written into a new
 * folder. While the folder cannot be resolved or a watch opened, it is looked at every second.
 */
export async function watchStateDir(
  dir: string,
  onChange: (changes: StateChanges) => void,
  options: { quietMs: number; maxWaitMs: number },
): Promise<StateDirWatcher> {
  const absolute = resolve(dir);
  const collected = new ChangeCollector();
  const anchors = new AnchorWatches((outcome) => record(outcome));
  let plan: WatchPlan = EMPTY_PLAN;
  let tree: FSWatcher | null = null;
  /** chokidar did not start cleanly (an error, no ready): start it again on the next scan. */
  let stale = false;
  let closed = false;
  let retryPoll: NodeJS.Timeout | null = null;
  let flushing: Promise<void> = Promise.resolve();

  const record = (outcome: WatchEventOutcome): void => {
    if (collected.add(outcome) && !closed) burst.call();
  };

  const setRetryPoll = (on: boolean): void => {
    if (on && retryPoll === null) {
      retryPoll = setInterval(() => record(RESCAN), RETRY_POLL_MS);
      retryPoll.unref();
    } else if (!on && retryPoll !== null) {
      clearInterval(retryPoll);
      retryPoll = null;
    }
  };

  /** Starts chokidar on `next` and waits until its walk has opened every watch; false if it did not start cleanly. */
  const startTree = async (next: WatchPlan): Promise<boolean> => {
    await tree?.close();
    tree = null;
    if (next.root === null) return true;
    const started = watch(next.root, {
      ignored: ignoredBy(next),
      ignoreInitial: true,
      followSymlinks: true,
      // Both only reshape file events chokidar emits for the `*.json` symlinks; names are the loader's to ignore.
      atomic: false,
      awaitWriteFinish: false,
      // As root these are rare, and a folder we cannot read is the loader's error entry to report, not a reason to restart.
      ignorePermissionErrors: true,
    });
    tree = started;
    let ready = false;
    let failed = false;
    started.on('raw', (event, name, details) => record(classifyRawEvent(next, event, name, watchedPathOf(details))));
    for (const event of ['add', 'change', 'unlink'] as const)
      started.on(event, (path) => record(classifyLinkEvent(next, path)));
    started.on('addDir', () => record(UNKNOWN));
    started.on('unlinkDir', () => record(UNKNOWN));
    // An error before ready (out of inotify watches, say) waits for the retry poll, so it cannot spin.
    started.on('error', () => (ready ? record(UNKNOWN) : (failed = true)));
    ready = await new Promise<boolean>((done) => {
      const timer = setTimeout(() => done(false), READY_TIMEOUT_MS);
      started.once('ready', () => {
        clearTimeout(timer);
        done(true);
      });
    });
    return ready && !failed;
  };

  /** Scans the tree and moves the watches to it; true when its shape changed (files can no longer be named one by one). */
  const rescan = async (restart: boolean): Promise<boolean> => {
    const [scan, anchorEntries] = await Promise.all([scanStateTree(absolute), scanAnchors(absolute)]);
    if (closed) return false;
    const next = planStateWatches(scan);
    const reshaped = next.shape !== plan.shape;
    plan = next;
    const anchored = anchors.sync(anchorEntries);
    if (reshaped || restart || stale) stale = !(await startTree(next));
    setRetryPoll(next.root === null || !anchored || stale);
    return reshaped || restart;
  };

  /** One burst: rescan first when needed, so a new subfolder is watched before the reload it triggers. */
  const flush = async (): Promise<void> => {
    const taken = collected.take();
    const reshaped = taken.rescan || taken.restart ? await rescan(taken.restart) : false;
    const report = changeReport(taken, reshaped);
    if (report !== null && !closed) onChange(report);
  };

  // One flush at a time, so two bursts can never leave two watchers behind. A throwing
  // onChange must not break the chain (every later burst would be lost) nor crash the process.
  const burst = debounce(
    () => void (flushing = flushing.then(flush).catch(() => undefined)),
    options.quietMs,
    options.maxWaitMs,
  );

  await rescan(true);

  return {
    recheck: () => record(RESCAN),
    async close() {
      closed = true;
      burst.cancel();
      setRetryPoll(false);
      await flushing;
      anchors.close();
      await tree?.close();
      tree = null;
    },
  };
}
