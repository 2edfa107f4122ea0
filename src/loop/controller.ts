import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { ControllerConfig } from '../config/controller-config.js';
import type { ControllerMetrics } from '../status/metrics.js';
import { serveStatus } from '../http/serve-status.js';
import { createPassNotifier, type PassNotifier } from '../notify/pass-notifier.js';
import type { CellTargets } from '../model/cell-targets.js';
import type { PassResult } from '../model/reconcile-labels.js';
import type Docker from 'dockerode';
import { CellReconciler } from './cell-reconciler.js';
import { randomReconcileId, SYSTEM_CONTROLLER_CLOCK, type ControllerClock } from './controller-clock.js';
import type { ControllerStatus } from '../status/controller-status.js';
import { LastGoodStore, type LastGoodMemory } from './last-good-store.js';
import type { Logger } from './logger.js';
import { PassReporter } from '../status/pass-reporter.js';
import { ReconcileRunner, type PassOutcome } from './reconcile-runner.js';
import { StateFileCache } from './state-file-cache.js';
import { TriggerSources } from './trigger-sources.js';

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
  /** Seams for tests; the system clock, random ids and a file in the status folder otherwise. */
  readonly clock?: ControllerClock;
  readonly newId?: () => string;
  readonly store?: LastGoodMemory;
}

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;

/** The runner's policy for each result. */
const OUTCOME: Record<PassResult, PassOutcome> = {
  converged: 'success',
  // Nothing to retry: the held-back part waits for its file, and every trigger re-evaluates it.
  degraded: 'success',
  not_converged: 'failure',
  error: 'failure',
  // Not retried: nothing changes until the state (or the flag) does, and every trigger re-evaluates it.
  refused: 'terminal',
  invalid_state: 'terminal',
};

/**
 * The controller loop (DESIGN.md §6), composed the way controller-runtime composes one:
 * trigger sources (state files, the Corefile, Docker events, the resync timer) only mark the
 * cell dirty; one single-flight ReconcileRunner paces the passes; the CellReconciler runs a
 * level-triggered pass and returns a report; the PassReporter turns it into metrics, `/status`
 * and log lines. This class only wires them, serves HTTP and lets tests wait for a pass.
 */
export class Controller {
  private readonly reporter: PassReporter;
  private readonly reconciler: CellReconciler;
  private readonly runner: ReconcileRunner;
  private readonly sources: TriggerSources;
  private readonly files: StateFileCache;
  private readonly store: LastGoodMemory;
  private readonly newId: () => string;
  private server: Server | null = null;
  /** Events to `notify.webhook`, when the config names one. */
  private readonly notifier: PassNotifier | null;
  private started = 0;
  private waiters: { readonly after: number; readonly done: () => void }[] = [];

  constructor(private readonly deps: ControllerDeps) {
    const clock = deps.clock ?? SYSTEM_CONTROLLER_CLOCK;
    this.newId = deps.newId ?? randomReconcileId;
    this.files = new StateFileCache(deps.stateDir);
    this.reporter = new PassReporter(deps.logger, clock, (previous, next, repairs) =>
      this.notifier?.listener(previous, next, repairs),
    );
    this.notifier =
      deps.config.notify === null
        ? null
        : createPassNotifier(deps.config.notify.webhook, this.reporter.metrics.registry, deps.logger, clock);
    this.store = deps.store ?? new LastGoodStore(deps.config.status_dir ?? join(resolve(deps.stateDir), '.status'));
    this.reconciler = new CellReconciler({
      config: deps.config,
      targets: deps.targets,
      files: this.files,
      store: this.store,
      allowMassDelete: deps.allowMassDelete,
      clock,
    });
    this.runner = new ReconcileRunner((triggers) => this.pass(triggers), {
      minIntervalMs: deps.config.min_interval_ms,
      backoffBaseMs: BACKOFF_BASE_MS,
      backoffMaxMs: BACKOFF_MAX_MS,
      clock,
    });
    this.sources = new TriggerSources({
      stateDir: deps.stateDir,
      corefilePath: deps.targets.corefilePath,
      config: deps.config,
      docker: deps.docker,
      containers: deps.containers,
      files: this.files,
      sink: this.runner,
      logger: deps.logger,
    });
  }

  get metrics(): ControllerMetrics {
    return this.reporter.metrics;
  }

  status(): ControllerStatus {
    return this.reporter.status();
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
    this.files.invalidate();
    this.runner.trigger(reason);
  }

  async start(): Promise<void> {
    const { config, logger } = this.deps;
    const remembered = await this.reconciler.restore();
    if (remembered > 0) logger.info({ files: remembered }, 'last good state remembered from an earlier run');
    this.reporter.lastGoodDropped(this.store.readError);
    if (this.deps.serveHttp !== false) {
      this.server = await serveStatus(config.listen, this);
      logger.info({ listen: this.listening() }, 'serving / (status page) /healthz /readyz /metrics /status');
    }
    await this.sources.start();
    this.runner.trigger('startup');
  }

  /** Finishes the pass in flight, then stops every watcher, timer, the server and the notifier (after a short drain). */
  async stop(): Promise<void> {
    await this.runner.stop();
    await this.sources.close();
    await this.notifier?.close();
    if (this.server !== null) {
      const server = this.server;
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    }
    for (const waiter of this.waiters.splice(0)) waiter.done();
  }

  private async pass(triggers: readonly string[]): Promise<PassOutcome> {
    this.started++;
    const request = { id: this.newId(), triggers };
    this.reporter.started(request);
    let rendered: string | null = null;
    try {
      const report = await this.reconciler.reconcile(request);
      rendered = report.renderedCorefile;
      this.reporter.record(report);
      return OUTCOME[report.result];
    } finally {
      const finished = this.started;
      for (const waiter of this.waiters.filter((w) => w.after < finished)) waiter.done();
      this.waiters = this.waiters.filter((w) => w.after >= finished);
      void this.sources.passFinished(rendered);
    }
  }
}
