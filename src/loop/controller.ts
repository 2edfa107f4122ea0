import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { basename, dirname, join, resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type Docker from 'dockerode';
import type { ControllerConfig } from '../config/controller-config.js';
import { layoutOf } from '../config/controller-config.js';
import type { LoadedState } from '../load/loaded-state.js';
import { formatIssue } from '../load/state-issue.js';
import { loadState } from '../load/load-state.js';
import type { CellTargets } from '../model/cell-targets.js';
import type { DesiredState } from '../model/desired-state.js';
import type { Action } from '../model/plan.js';
import { ControllerMetrics, TRIGGERS, type ReconcileResultLabel, type TriggerKind } from '../http/metrics.js';
import { serveStatus } from '../http/serve-status.js';
import { INITIAL_STATUS, setCondition, type ControllerStatus } from './controller-status.js';
import { LastGoodStore } from './last-good-store.js';
import type { Logger } from './logger.js';
import { massDeleteGuard } from './mass-delete-guard.js';
import { preserveUnattributed } from './preserve-unattributed.js';
import { reconcileCell, type ReconcileResult } from './reconcile-cell.js';
import { ReconcileRunner, type PassOutcome } from './reconcile-runner.js';
import { watchDockerEvents, type DockerEventsWatcher } from './watch-docker-events.js';
import { watchStateDir, type StateDirWatcher } from './watch-state-dir.js';

export interface ControllerDeps {
  readonly stateDir: string;
  readonly config: ControllerConfig;
  readonly targets: CellTargets;
  /** Docker client for lifecycle events of the role containers; null when no target is a container. */
  readonly docker: Docker | null;
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

function triggerKind(reason: string): TriggerKind {
  const head = reason.split(/[-:]/)[0] ?? '';
  return (TRIGGERS as readonly string[]).includes(head) ? (head as TriggerKind) : 'resync';
}

function countByKind(actions: readonly Action[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const action of actions) counts[action.kind] = (counts[action.kind] ?? 0) + 1;
  return counts;
}

/**
 * The controller loop (DESIGN.md §6): every trigger (state files, Docker events, the Corefile,
 * the resync timer) marks the cell dirty; one single-flight runner reconciles it, level-triggered.
 */
export class Controller {
  readonly metrics = new ControllerMetrics(ACTION_KINDS);
  private current: ControllerStatus = INITIAL_STATUS;
  private readonly runner: ReconcileRunner;
  private readonly store: LastGoodStore;
  private previous: LoadedState | null = null;
  private lastConverged: DesiredState | null = null;
  private stateWatcher: StateDirWatcher | null = null;
  private corefileWatcher: FSWatcher | null = null;
  private dockerWatcher: DockerEventsWatcher | null = null;
  private resyncTimer: NodeJS.Timeout | null = null;
  private server: Server | null = null;
  /** Resolves when the first pass has finished (tests and `apply`-like callers wait on it). */
  private passes = 0;
  private passListeners: (() => void)[] = [];

  constructor(private readonly deps: ControllerDeps) {
    this.store = new LastGoodStore(deps.config.status_dir ?? join(resolve(deps.stateDir), '.status'));
    this.runner = new ReconcileRunner((triggers) => this.pass(triggers), {
      minIntervalMs: deps.config.min_interval_ms,
      backoffBaseMs: 500,
      backoffMaxMs: 30_000,
    });
  }

  status(): ControllerStatus {
    return this.current;
  }

  get passCount(): number {
    return this.passes;
  }

  /** Resolves after the next pass that starts from now has finished. */
  nextPass(): Promise<void> {
    return new Promise((done) => this.passListeners.push(done));
  }

  trigger(reason: string): void {
    this.runner.trigger(reason);
  }

  async start(): Promise<void> {
    const { config, logger } = this.deps;
    this.previous = await this.store.read();
    if (this.deps.serveHttp !== false) {
      this.server = await serveStatus(config.listen, this);
      logger.info({ listen: config.listen }, 'serving /healthz /readyz /metrics /status');
    }
    this.stateWatcher = await watchStateDir(this.deps.stateDir, () => this.runner.trigger('state'), {
      quietMs: config.debounce_ms,
      maxWaitMs: Math.max(config.debounce_ms * 10, 1_000),
    });
    const corefile = resolve(this.deps.targets.corefilePath);
    this.corefileWatcher = watch(dirname(corefile), { ignoreInitial: true, depth: 0, ignored: (path) => path !== dirname(corefile) && basename(path) !== basename(corefile) });
    this.corefileWatcher.on('all', () => this.runner.trigger('corefile', config.debounce_ms));
    this.corefileWatcher.on('error', (error) => logger.warn({ err: error }, 'Corefile watch error'));
    if (this.deps.docker !== null && this.deps.containers.length > 0) {
      this.dockerWatcher = watchDockerEvents(this.deps.docker, {
        containers: this.deps.containers,
        onEvent: (reason) => this.runner.trigger(reason),
        onConnectionChange: (connected, error) => logger[connected ? 'info' : 'warn']({ connected, error }, connected ? 'docker events connected' : 'docker events disconnected'),
      });
    }
    this.resyncTimer = setInterval(() => this.runner.trigger('resync'), config.resync_seconds * 1000);
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
    for (const done of this.passListeners.splice(0)) done();
  }

  private finishPass(): void {
    this.passes++;
    for (const done of this.passListeners.splice(0)) done();
  }

  private async pass(triggers: readonly string[]): Promise<PassOutcome> {
    try {
      return await this.reconcileOnce(triggers);
    } finally {
      this.finishPass();
    }
  }

  private async reconcileOnce(triggers: readonly string[]): Promise<PassOutcome> {
    const { logger, config } = this.deps;
    const id = randomBytes(4).toString('hex');
    const log = logger.child({ reconcile: id });
    const started = new Date();
    const t0 = performance.now();
    const trigger = triggerKind(triggers[0] ?? 'resync');

    const loaded = await loadState(this.deps.stateDir, this.previous === null ? {} : { previous: this.previous });
    for (const issue of loaded.issues) log.warn({ file: issue.file, pointer: issue.pointer }, `state error: ${formatIssue(issue)}`);
    this.metrics.stateErrors.set(loaded.issues.length);
    const now = new Date();
    let conditions = setCondition(
      this.current.conditions,
      loaded.issues.length === 0
        ? { type: 'StateValid', status: 'True', reason: 'Valid', message: 'every state file is valid' }
        : { type: 'StateValid', status: 'False', reason: 'FileErrors', message: `${loaded.issues.length} error(s); the resources of broken files keep their last good version` },
      now,
    );
    this.current = { ...this.current, conditions, fileErrors: loaded.issues.map(({ file, pointer, message }) => ({ file, pointer, message })) };

    if (loaded.state === null) {
      this.current = { ...this.current, conditions: setCondition(conditions, { type: 'Ready', status: 'False', reason: 'NoValidState', message: 'no valid Cell in the state directory and none remembered; nothing applied' }, now) };
      this.metrics.reconciles.inc({ result: 'invalid_state', trigger });
      this.metrics.ready.set(0);
      log.error({ trigger: triggers, durationMs: Math.round(performance.now() - t0) }, 'no valid desired state; nothing applied');
      return 'terminal';
    }
    this.previous = loaded;
    const storeError = await this.store.write(loaded);
    if (storeError !== null) log.warn(storeError);
    const state = loaded.state;
    this.metrics.desiredResources.set({ kind: 'Peer' }, state.peers.length);
    this.metrics.desiredResources.set({ kind: 'CellLink' }, state.links.length);
    this.metrics.desiredResources.set({ kind: 'Service' }, state.cell.services.length);

    const result = await reconcileCell(state, this.deps.targets, layoutOf(config), {
      ...(this.deps.allowMassDelete ? {} : { guard: (plan, observed) => massDeleteGuard(plan, observed, config.max_delete_share) }),
      ...(loaded.unresolvedFiles.length > 0 ? { adjust: preserveUnattributed } : {}),
    });
    const durationMs = performance.now() - t0;
    this.record(result, state, triggers, trigger, id, started, durationMs, log);
    if (result.refused !== null) return 'terminal';
    return result.converged ? 'success' : 'failure';
  }

  private record(result: ReconcileResult, state: DesiredState, triggers: readonly string[], trigger: TriggerKind, id: string, started: Date, durationMs: number, log: Logger): void {
    const now = new Date();
    const applied = result.apply === null ? [] : result.plan.actions;
    const unreachable = result.plan.skipped;
    const drift = state === this.lastConverged && applied.length > 0;
    for (const action of applied) {
      this.metrics.actionsApplied.inc({ kind: action.kind });
      if (drift) {
        this.metrics.driftRepairs.inc({ kind: action.kind });
        log.info({ kind: action.kind, target: 'chain' in action ? action.chain : undefined, reason: action.reason }, 'drift repaired');
      }
    }
    const label: ReconcileResultLabel = result.refused !== null ? 'refused' : result.converged ? 'converged' : 'not_converged';
    this.metrics.reconciles.inc({ result: label, trigger });
    this.metrics.duration.observe(durationMs / 1000);
    this.metrics.ready.set(result.converged ? 1 : 0);
    this.metrics.massDeleteBlocked.set(result.refused === null ? 0 : 1);
    if (result.converged) {
      this.metrics.lastSuccess.set(now.getTime() / 1000);
      this.lastConverged = state;
    }
    let conditions = setCondition(
      this.current.conditions,
      unreachable.length === 0
        ? { type: 'TargetsReachable', status: 'True', reason: 'Reachable', message: 'every target answered' }
        : { type: 'TargetsReachable', status: 'False', reason: 'Unreachable', message: unreachable.map((s) => s.error).join('; ') },
      now,
    );
    conditions = setCondition(
      conditions,
      result.converged
        ? { type: 'Ready', status: 'True', reason: 'Converged', message: 'the live cell matches the desired state' }
        : result.refused !== null
          ? { type: 'Ready', status: 'False', reason: 'MassDeleteGuard', message: result.refused }
          : { type: 'Ready', status: 'False', reason: 'NotConverged', message: result.errors.slice(0, 5).join('; ') },
      now,
    );
    this.current = {
      ...this.current,
      conditions,
      counts: { peers: state.peers.length, links: state.links.length, services: state.cell.services.length },
      massDeleteGuard: { blocked: result.refused !== null, reason: result.refused },
      lastReconcile: {
        id,
        triggers,
        startedAt: started.toISOString(),
        durationMs: Math.round(durationMs),
        converged: result.converged,
        actions: countByKind(applied),
        errors: result.errors,
      },
    };
    const line = {
      trigger: triggers,
      durationMs: Math.round(durationMs),
      converged: result.converged,
      planned: result.plan.actions.length,
      actions: countByKind(applied),
      writes: result.apply?.counts ?? null,
      timings: result.timings,
    };
    if (result.refused !== null) log.warn({ ...line, refused: result.refused }, 'reconcile held back by the mass-delete guard');
    else if (result.converged) log.info(line, 'reconcile converged');
    else log.error({ ...line, errors: result.errors }, 'reconcile not converged');
  }
}
