import type { ControllerConfig } from '../config/controller-config.js';
import type { Observation } from '../model/observed-cell.js';
import { readCorefile } from '../observe/observe-cell.js';
import type Docker from 'dockerode';
import type { Logger } from './logger.js';
import type { StateFileCache } from './state-file-cache.js';
import { watchCorefile, type CorefileWatcher } from './watch-corefile.js';
import { watchDockerEvents, type DockerEventsWatcher } from './watch-docker-events.js';
import { watchStateDir, type StateDirWatcher } from './watch-state-dir.js';

/** Where triggers go: the ReconcileRunner. */
export interface TriggerSink {
  trigger(reason: string): void;
  /** True while a pass runs. */
  readonly busy: boolean;
}

export interface TriggerSourcesDeps {
  readonly stateDir: string;
  readonly corefilePath: string;
  readonly config: Pick<ControllerConfig, 'debounce_ms' | 'resync_seconds'>;
  /** Docker client for lifecycle events of the role containers; null when no target is a container. */
  readonly docker: Docker | null;
  readonly containers: readonly string[];
  readonly files: StateFileCache;
  readonly sink: TriggerSink;
  readonly logger: Logger;
}

/**
 * A Corefile event is our own write when the file holds exactly what the last pass rendered;
 * a file that cannot be read, or any other text, is someone else's and needs a pass.
 */
export function isOwnCorefileWrite(onDisk: Observation<string | null>, rendered: string | null): boolean {
  return onDisk.ok && onDisk.value === rendered;
}

/**
 * The sources of triggers (controller-runtime's sources): the state folder's watcher, the
 * Corefile's watcher, Docker's events for the role containers and the resync timer. Each only
 * marks the cell dirty (and tells the file cache what changed); none acts on an event's details.
 */
export class TriggerSources {
  private stateWatcher: StateDirWatcher | null = null;
  private corefileWatcher: CorefileWatcher | null = null;
  private dockerWatcher: DockerEventsWatcher | null = null;
  private resyncTimer: NodeJS.Timeout | null = null;
  /** The Corefile of the last pass that rendered one, to tell our own writes from someone else's. */
  private renderedCorefile: string | null = null;
  private corefileCheckPending = false;
  /** Passes ended so far: a check whose read overlapped a whole pass must not judge by a stale read. */
  private passesFinished = 0;

  constructor(private readonly deps: TriggerSourcesDeps) {}

  async start(): Promise<void> {
    const { config, logger, files, sink } = this.deps;
    this.stateWatcher = await watchStateDir(
      this.deps.stateDir,
      (changes) => {
        files.note(changes);
        sink.trigger('state');
      },
      { quietMs: config.debounce_ms, maxWaitMs: Math.max(config.debounce_ms * 10, 1_000) },
    );
    this.corefileWatcher = await watchCorefile(
      this.deps.corefilePath,
      () => void this.checkCorefile(),
      (error) => logger.warn({ err: error }, 'Corefile watch error'),
    );
    if (this.deps.docker !== null && this.deps.containers.length > 0) {
      this.dockerWatcher = watchDockerEvents(this.deps.docker, {
        containers: this.deps.containers,
        onEvent: (reason) => sink.trigger(reason),
        onConnectionChange: (connected, error) =>
          connected
            ? logger.info('docker events connected')
            : logger.warn({ error }, 'docker events disconnected; reconnecting with backoff'),
      });
    }
    this.resyncTimer = setInterval(() => {
      // A resync reads every file: whatever a watch can miss (a full inotify queue, a network mount) is caught here;
      // and the watches are checked against the tree (a symlink swapped outside it, a folder the kernel dropped).
      files.invalidate();
      this.stateWatcher?.recheck();
      sink.trigger('resync');
    }, config.resync_seconds * 1000);
    this.resyncTimer.unref();
  }

  /**
   * Called as a pass ends, with the Corefile it rendered (null: it rendered none). Resolves once
   * a Corefile event that came during the pass has been checked.
   */
  passFinished(renderedCorefile: string | null): Promise<void> {
    this.passesFinished++;
    if (renderedCorefile !== null) this.renderedCorefile = renderedCorefile;
    if (!this.corefileCheckPending) return Promise.resolve();
    this.corefileCheckPending = false;
    // After the runner has marked the pass finished.
    return new Promise((done) => setImmediate(() => void this.checkCorefile().then(done)));
  }

  async close(): Promise<void> {
    if (this.resyncTimer !== null) clearInterval(this.resyncTimer);
    this.resyncTimer = null;
    this.dockerWatcher?.close();
    await Promise.all([this.stateWatcher?.close(), this.corefileWatcher?.close()]);
  }

  /** A Corefile event: a pass only when the file is not our own write; during a pass, checked once it ends. */
  async checkCorefile(): Promise<void> {
    if (this.deps.sink.busy) {
      this.corefileCheckPending = true;
      return;
    }
    const passes = this.passesFinished;
    const onDisk = await readCorefile(this.deps.corefilePath);
    // A pass that started during the read sees the file itself: compare with what it renders, once it is done.
    if (this.deps.sink.busy) this.corefileCheckPending = true;
    else if (this.passesFinished !== passes) void this.checkCorefile();
    else if (!isOwnCorefileWrite(onDisk, this.renderedCorefile)) this.deps.sink.trigger('corefile');
  }
}
