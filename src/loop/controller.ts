import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { ControllerConfig } from '../config/controller-config.js';
import { layoutOf } from '../config/controller-config.js';
import type { LoadedState } from '../load/loaded-state.js';
import { listStateDir, relistStateDir, type StateDirListing } from '../load/read-state-dir.js';
import { formatIssue, type StateIssue } from '../load/state-issue.js';
import { validateState } from '../load/validate-state.js';
import { failingAccessTests } from '../access/evaluate-access-tests.js';
import { resourceSources } from '../access/rule-provenance.js';
import type { CellTargets } from '../model/cell-targets.js';
import type { DesiredState } from '../model/desired-state.js';
import type { Action } from '../model/plan.js';
import { observeCell, readCorefile, type Observed } from '../observe/observe-cell.js';
import type { DockerEngine } from '../targets/docker-engine.js';
import { ControllerMetrics, triggerKind, type TriggerKind } from '../http/metrics.js';
import { serveStatus } from '../http/serve-status.js';
import { INITIAL_STATUS, withLoadResult, withPassReport, type ControllerStatus, type DesiredCounts, type PassResult } from './controller-status.js';
import { LastGoodStore } from './last-good-store.js';
import type { Logger } from './logger.js';
import { EMPTY_STATE_GUARD, massDeleteGuard } from './mass-delete-guard.js';
import { ownNothing } from './own-nothing.js';
import { preserveUnattributed } from './preserve-unattributed.js';
import { reconcileCell, type ReconcileResult } from './reconcile-cell.js';
import { ReconcileRunner, type PassOutcome } from './reconcile-runner.js';
import { watchCorefile, type CorefileWatcher } from './watch-corefile.js';
import { watchDockerEvents, type DockerEventsWatcher } from './watch-docker-events.js';
import { watchStateDir, type StateChanges, type StateDirWatcher } from './watch-state-dir.js';

export interface ControllerDeps {
  readonly stateDir: string;
  readonly config: ControllerConfig;
  readonly targets: CellTargets;
  /** Docker client for lifecycle events of the role containers; null when no target is a container. */
  readonly docker: DockerEngine | null;
  /** Role container names to follow in Docker's events. */
  readonly containers: readonly string[];
  readonly logger: Logger;
  readonly allowMassDelete: boolean;
  /** Serve HTTP on config.listen (off in some tests). */
  readonly serveHttp?: boolean;
}

const ACTION_KINDS: readonly Action['kind'][] = [
  'create-chain', 'update-chain', 'delete-chain', 'insert-jump', 'delete-rule',
  'add-address', 'delete-address', 'add-policy-rule', 'delete-policy-rule', 'add-route', 'delete-route', 'write-corefile',
];

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** Errors listed in /status and in a log line for one reconcile; the count is in the message. */
const MAX_PASS_ERRORS = 20;
const NO_COUNTS: DesiredCounts = { peers: 0, links: 0, services: 0 };
/** The desired state of a confirmed empty folder, for drift accounting. */
const NOTHING = Symbol('nothing desired');

function countByKind(actions: readonly Action[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const action of actions) counts[action.kind] = (counts[action.kind] ?? 0) + 1;
  return counts;
}

/** What an action is about, for the drift log line. */
function subjectOf(action: Action): string {
  switch (action.kind) {
    case 'add-address':
    case 'delete-address':
      return action.address.address;
    case 'add-policy-rule':
    case 'delete-policy-rule':
      return `rule from ${action.rule.src} lookup ${action.rule.table}`;
    case 'add-route':
    case 'delete-route':
      return `route ${action.route.dst} table ${action.route.table}`;
    case 'write-corefile':
      return 'Corefile';
    default:
      return `${action.table}/${action.chain}`;
  }
}

function countsOf(state: DesiredState): DesiredCounts {
  return { peers: state.peers.length, links: state.links.length, services: state.cell.services.length };
}

interface PassContext {
  readonly id: string;
  readonly triggers: readonly string[];
  readonly trigger: TriggerKind;
  readonly started: Date;
  readonly t0: number;
  readonly log: Logger;
}

interface PassDetails {
  readonly message: string;
  readonly unreachable: readonly string[] | null;
  readonly counts: DesiredCounts | null;
  readonly guard: string | null;
  readonly actions: Record<string, number>;
  readonly errors: readonly string[];
  readonly logFields?: Record<string, unknown>;
}

const OUTCOME: Record<PassResult, PassOutcome> = {
  converged: 'success',
  not_converged: 'failure',
  error: 'failure',
  // Not retried: nothing changes until the state (or the flag) does, and every trigger re-evaluates it.
  refused: 'terminal',
  invalid_state: 'terminal',
};

/**
 * The controller loop (DESIGN.md §6).
 *
 * Triggers (state files, Docker events, the Corefile, the resync timer) only mark the cell
 * dirty; one single-flight runner reconciles it, level-triggered: every pass validates the whole
 * desired state, observes the whole cell and acts on the difference, never on an event's details.
 * Only reading is incremental, as in an informer: a pass reads again the files the watcher
 * named since the last one, and every file at startup, on each resync and whenever the watcher
 * cannot say which changed.
 * Broken files keep their last good version (remembered across restarts in the status
 * folder); live rules that cannot be attributed are kept; a mass delete waits for
 * `--allow-mass-delete`. Every pass leaves one log line, metrics and a new `/status`.
 */
export class Controller {
  readonly metrics = new ControllerMetrics(ACTION_KINDS);
  private current: ControllerStatus = INITIAL_STATUS;
  private readonly runner: ReconcileRunner;
  private readonly store: LastGoodStore;
  /** The last load that had a state: broken files fall back to it. */
  private previous: LoadedState | null = null;
  /** What the last converged pass reconciled to; actions applied for the same desired state repair drift. */
  private lastConverged: DesiredState | typeof NOTHING | null = null;
  /** The Corefile of the last pass, to tell our own writes from someone else's. */
  private renderedCorefile: string | null = null;
  private corefileCheckPending = false;
  private loggedIssues = '';
  /** The state files as last read; a pass reads again only what the watcher named since. */
  private listing: StateDirListing | null = null;
  /** State files changed since the last read, or 'all' (startup, resync, a change the watcher cannot place). */
  private pendingChanges: Set<string> | 'all' = 'all';
  private stateWatcher: StateDirWatcher | null = null;
  private corefileWatcher: CorefileWatcher | null = null;
  private dockerWatcher: DockerEventsWatcher | null = null;
  private resyncTimer: NodeJS.Timeout | null = null;
  private server: Server | null = null;
  private started = 0;
  private waiters: { readonly after: number; readonly done: () => void }[] = [];

  constructor(private readonly deps: ControllerDeps) {
    this.store = new LastGoodStore(deps.config.status_dir ?? join(resolve(deps.stateDir), '.status'));
    this.runner = new ReconcileRunner((triggers) => this.pass(triggers), {
      minIntervalMs: deps.config.min_interval_ms,
      backoffBaseMs: BACKOFF_BASE_MS,
      backoffMaxMs: BACKOFF_MAX_MS,
    });
  }

  status(): ControllerStatus {
    return this.current;
  }

  /** Where the status server listens (`host:port`, the real port when `listen` asked for 0), or null. */
  listening(): string | null {
    const address = this.server?.address();
    if (address === null || address === undefined || typeof address === 'string') return null;
    const { address: host, port, family } = address as AddressInfo;
    return family === 'IPv6' ? `[${host}]:${port}` : `${host}:${port}`;
  }

  /** Resolves once a pass that starts after this call has finished (or the controller stopped). */
  nextPass(): Promise<void> {
    return new Promise((done) => this.waiters.push({ after: this.started, done }));
  }

  /** Asks for a pass from outside the controller's own triggers; it reads every state file. */
  trigger(reason: string): void {
    this.pendingChanges = 'all';
    this.runner.trigger(reason);
  }

  async start(): Promise<void> {
    const { config, logger, targets } = this.deps;
    this.previous = await this.store.read();
    if (this.previous !== null) logger.info({ files: this.previous.fileResources.size }, 'last good state remembered from an earlier run');
    if (this.deps.serveHttp !== false) {
      this.server = await serveStatus(config.listen, this);
      logger.info({ listen: this.listening() }, 'serving /healthz /readyz /metrics /status');
    }
    this.stateWatcher = await watchStateDir(this.deps.stateDir, (changes) => this.stateChanged(changes), {
      quietMs: config.debounce_ms,
      maxWaitMs: Math.max(config.debounce_ms * 10, 1_000),
    });
    this.corefileWatcher = await watchCorefile(
      targets.corefilePath,
      () => void this.checkCorefile(),
      (error) => logger.warn({ err: error }, 'Corefile watch error'),
    );
    if (this.deps.docker !== null && this.deps.containers.length > 0) {
      this.dockerWatcher = watchDockerEvents(this.deps.docker, {
        containers: this.deps.containers,
        onEvent: (reason) => this.runner.trigger(reason),
        onConnectionChange: (connected, error) =>
          connected ? logger.info('docker events connected') : logger.warn({ error }, 'docker events disconnected; reconnecting with backoff'),
      });
    }
    this.resyncTimer = setInterval(() => {
      // A resync reads every file: whatever a watch can miss (a full inotify queue, a network mount) is caught here;
      // and the watches are checked against the tree (a symlink swapped outside it, a folder the kernel dropped).
      this.pendingChanges = 'all';
      this.stateWatcher?.recheck();
      this.runner.trigger('resync');
    }, config.resync_seconds * 1000);
    this.resyncTimer.unref();
    this.runner.trigger('startup');
  }

  /** Finishes the pass in flight, then stops every watcher, timer and the server. */
  async stop(): Promise<void> {
    if (this.resyncTimer !== null) clearInterval(this.resyncTimer);
    await this.runner.stop();
    this.dockerWatcher?.close();
    await Promise.all([this.stateWatcher?.close(), this.corefileWatcher?.close()]);
    if (this.server !== null) {
      const server = this.server;
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    }
    for (const waiter of this.waiters.splice(0)) waiter.done();
  }

  private stateChanged(changes: StateChanges): void {
    if (changes === 'all' || this.pendingChanges === 'all') this.pendingChanges = 'all';
    else for (const path of changes) this.pendingChanges.add(path);
    this.runner.trigger('state');
  }

  /** The state files now: those the watcher named read again, or all of them. */
  private async readStateFiles(): Promise<StateDirListing> {
    const changes = this.pendingChanges;
    this.pendingChanges = new Set();
    try {
      this.listing = changes === 'all' || this.listing === null ? await listStateDir(this.deps.stateDir) : await relistStateDir(this.deps.stateDir, this.listing, changes);
      return this.listing;
    } catch (error) {
      this.pendingChanges = 'all';
      throw error;
    }
  }

  /** A Corefile event: reconcile only when the file is not what the last pass rendered (not our own write). */
  private async checkCorefile(): Promise<void> {
    if (this.runner.busy) {
      this.corefileCheckPending = true;
      return;
    }
    const onDisk = await readCorefile(this.deps.targets.corefilePath);
    if (!onDisk.ok || onDisk.value !== this.renderedCorefile) this.runner.trigger('corefile');
  }

  private async pass(triggers: readonly string[]): Promise<PassOutcome> {
    this.started++;
    const id = randomBytes(4).toString('hex');
    const log = this.deps.logger.child({ reconcile: id });
    const context: PassContext = { id, triggers, trigger: triggerKind(triggers[0] ?? 'resync'), started: new Date(), t0: performance.now(), log };
    log.debug({ trigger: triggers }, 'reconcile started');
    try {
      return await this.reconcileOnce(context);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return this.report(context, 'error', { message, unreachable: null, counts: null, guard: null, actions: {}, errors: [message] });
    } finally {
      const finished = this.started;
      for (const waiter of this.waiters.filter((w) => w.after < finished)) waiter.done();
      this.waiters = this.waiters.filter((w) => w.after >= finished);
      if (this.corefileCheckPending) {
        this.corefileCheckPending = false;
        // After the runner has marked the pass finished.
        setImmediate(() => void this.checkCorefile());
      }
    }
  }

  private async reconcileOnce(context: PassContext): Promise<PassOutcome> {
    const { config, targets } = this.deps;
    // Reading the cell does not depend on the state files: both go at once. (observeCell never rejects.)
    const observation = observeCell(targets, layoutOf(config));
    const { files } = await this.readStateFiles();
    const loaded = validateState(files, this.previous === null ? {} : { previous: this.previous });
    this.noteIssues(loaded.issues, context.log);
    this.current = withLoadResult(this.current, loaded.issues, new Date());
    this.metrics.stateErrors.set(loaded.issues.length);

    if (files.length === 0) return this.reconcileEmptied(context, observation);
    if (loaded.state === null) {
      const message = 'no valid Cell resource in the state directory and none remembered; nothing applied';
      return this.report(context, 'invalid_state', { message, unreachable: null, counts: null, guard: null, actions: {}, errors: [message] });
    }
    // AccessTest gate: a state whose tests fail is neither applied nor remembered as last good.
    const failingTests = failingAccessTests(loaded.state, resourceSources(loaded), layoutOf(config)).map(formatIssue);
    if (failingTests.length > 0) {
      const message = `${failingTests.length} access test(s) fail; nothing applied: ${failingTests.join('; ')}`;
      return this.report(context, 'refused', { message, unreachable: null, counts: null, guard: null, actions: {}, errors: failingTests });
    }
    this.previous = loaded;
    const storeError = await this.store.write(loaded);
    if (storeError !== null) context.log.warn(storeError);
    const state = loaded.state;
    const result = await reconcileCell(state, targets, layoutOf(config), {
      ...(this.deps.allowMassDelete ? {} : { guard: (plan, observed) => massDeleteGuard(plan, observed, config.max_delete_share) }),
      ...(loaded.unresolvedFiles.length > 0 ? { adjust: preserveUnattributed } : {}),
      observation,
    });
    return this.record(context, result, state, countsOf(state));
  }

  /** An empty folder looks like an unmounted volume: applied only when confirmed, and then it removes everything we own. */
  private async reconcileEmptied(context: PassContext, observation: Promise<Observed>): Promise<PassOutcome> {
    if (!this.deps.allowMassDelete) {
      return this.report(context, 'refused', { message: EMPTY_STATE_GUARD, unreachable: null, counts: NO_COUNTS, guard: EMPTY_STATE_GUARD, actions: {}, errors: [EMPTY_STATE_GUARD] });
    }
    // reconcileCell renders a state; the last good one is only a carrier here, ownNothing replaces the whole target.
    const carrier = this.previous?.state ?? null;
    if (carrier === null) {
      const message = 'the state directory is empty and nothing is remembered; nothing applied';
      return this.report(context, 'invalid_state', { message, unreachable: null, counts: NO_COUNTS, guard: null, actions: {}, errors: [message] });
    }
    const result = await reconcileCell(carrier, this.deps.targets, layoutOf(this.deps.config), { adjust: ownNothing, observation });
    return this.record(context, result, NOTHING, NO_COUNTS);
  }

  /** Logs every file error once when the set of errors changes (not again on every resync). */
  private noteIssues(issues: readonly StateIssue[], log: Logger): void {
    const key = issues.map(formatIssue).join('\n');
    if (key === this.loggedIssues) return;
    this.loggedIssues = key;
    for (const issue of issues) log.warn({ file: issue.file, pointer: issue.pointer }, `state error: ${formatIssue(issue)}`);
    if (issues.length === 0) log.info('state errors cleared');
  }

  private record(context: PassContext, result: ReconcileResult, desired: DesiredState | typeof NOTHING, counts: DesiredCounts): PassOutcome {
    const applied = result.apply === null ? [] : result.plan.actions;
    const drift = desired === this.lastConverged && applied.length > 0;
    for (const action of applied) {
      this.metrics.actionsApplied.inc({ kind: action.kind });
      if (drift) {
        this.metrics.driftRepairs.inc({ kind: action.kind });
        context.log.info({ kind: action.kind, subject: subjectOf(action), reason: action.reason }, 'drift repaired');
      }
    }
    const label: PassResult = result.refused !== null ? 'refused' : result.converged ? 'converged' : 'not_converged';
    if (result.converged) {
      this.metrics.lastSuccess.set(Date.now() / 1000);
      this.lastConverged = desired;
    }
    this.renderedCorefile = result.rendered.corefile;
    return this.report(context, label, {
      message: result.refused ?? result.errors.slice(0, 5).join('; '),
      unreachable: result.plan.skipped.map((s) => s.error),
      counts,
      guard: result.refused,
      actions: countByKind(applied),
      errors: result.errors,
      logFields: { planned: result.plan.actions.length, writes: result.apply?.counts ?? null, timings: result.timings },
    });
  }

  /** Metrics, /status and the one log line of a finished pass. */
  private report(context: PassContext, result: PassResult, details: PassDetails): PassOutcome {
    const durationMs = Math.round(performance.now() - context.t0);
    const { metrics } = this;
    metrics.reconciles.inc({ result, trigger: context.trigger });
    metrics.duration.observe(durationMs / 1000);
    metrics.ready.set(result === 'converged' ? 1 : 0);
    metrics.massDeleteBlocked.set(details.guard === null ? 0 : 1);
    if (details.counts !== null) {
      metrics.desiredResources.set({ kind: 'Peer' }, details.counts.peers);
      metrics.desiredResources.set({ kind: 'CellLink' }, details.counts.links);
      metrics.desiredResources.set({ kind: 'Service' }, details.counts.services);
    }
    const errors = details.errors.length <= MAX_PASS_ERRORS ? details.errors : [...details.errors.slice(0, MAX_PASS_ERRORS), `… and ${details.errors.length - MAX_PASS_ERRORS} more`];
    this.current = withPassReport(
      this.current,
      {
        result,
        message: details.message,
        unreachable: details.unreachable,
        counts: details.counts,
        guard: details.guard,
        reconcile: {
          id: context.id,
          triggers: context.triggers,
          startedAt: context.started.toISOString(),
          durationMs,
          converged: result === 'converged',
          actions: details.actions,
          errors,
        },
      },
      new Date(),
    );
    const line = { trigger: context.triggers, durationMs, result, converged: result === 'converged', actions: details.actions, ...details.logFields };
    if (result === 'converged') context.log.info(line, 'reconcile converged');
    else if (result === 'refused') context.log.warn({ ...line, refused: details.guard }, 'reconcile held back by the mass-delete guard');
    else context.log.error({ ...line, errors }, 'reconcile not converged');
    return OUTCOME[result];
  }
}
