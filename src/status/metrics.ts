import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { HeldBack } from '../pass/held-back.js';
import { ACTION_KINDS } from '../model/plan.js';
import { PASS_RESULTS, TRIGGER_KINDS, type TriggerKind } from '../model/reconcile-labels.js';

const RESOURCE_KINDS = ['Peer', 'CellLink', 'Service'] as const;

/** The metrics label of a trigger reason (`docker-start:cell-api` → `docker`); unknown ones count as resync. */
export function triggerKind(reason: string): TriggerKind {
  const head = reason.split(/[-:]/)[0] ?? '';
  return TRIGGER_KINDS.find((kind) => kind === head) ?? 'resync';
}

/** The controller's Prometheus metrics, on a registry of its own (several controllers may share a process in tests). */
export class ControllerMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: 'pic_reconciles_total',
    help: 'Reconcile passes by result and trigger',
    labelNames: ['result', 'trigger'],
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'pic_reconcile_duration_seconds',
    help: 'Duration of a reconcile pass (observe, plan, apply, verify)',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly actionsApplied = new Counter({
    name: 'pic_actions_applied_total',
    help: 'Plan actions applied, by kind',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly driftRepairs = new Counter({
    name: 'pic_drift_repairs_total',
    help: 'Actions applied while the desired state was unchanged (live drift repaired), by kind',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly stateErrors = new Gauge({
    name: 'pic_state_errors',
    help: 'Errors in the state directory right now',
    registers: [this.registry],
  });
  readonly lastSuccess = new Gauge({
    name: 'pic_last_success_timestamp_seconds',
    help: 'Unix time of the last converged reconcile',
    registers: [this.registry],
  });
  readonly desiredResources = new Gauge({
    name: 'pic_desired_resources',
    help: 'Resources in the desired state, by kind',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly ready = new Gauge({
    name: 'pic_ready',
    help: '1 when the last reconcile converged',
    registers: [this.registry],
  });
  readonly heldBack = new Gauge({
    name: 'pic_held_back_resources',
    help: 'Resources a broken state file keeps from being changed or deleted, by file',
    labelNames: ['file'],
    registers: [this.registry],
  });
  readonly accessDiverged = new Gauge({
    name: 'pic_access_diverged_pairs',
    help: 'Source/destination pairs whose live access differs from what the desired state implies',
    registers: [this.registry],
  });
  readonly massDeleteBlocked = new Gauge({
    name: 'pic_mass_delete_blocked',
    help: '1 while the mass-delete guard holds a plan back',
    registers: [this.registry],
  });

  constructor(actionKinds: readonly string[] = ACTION_KINDS) {
    // Counters start at zero for every label so they show before the first event.
    for (const result of PASS_RESULTS) for (const trigger of TRIGGER_KINDS) this.reconciles.inc({ result, trigger }, 0);
    for (const kind of actionKinds) {
      this.actionsApplied.inc({ kind }, 0);
      this.driftRepairs.inc({ kind }, 0);
    }
    for (const kind of RESOURCE_KINDS) this.desiredResources.set({ kind }, 0);
    this.ready.set(0);
    this.stateErrors.set(0);
    this.massDeleteBlocked.set(0);
    this.accessDiverged.set(0);
  }

  /** One series per broken file that holds something back; files no longer holding anything disappear. */
  setHeldBack(held: readonly HeldBack[]): void {
    this.heldBack.reset();
    for (const h of held) this.heldBack.inc({ file: h.file }, h.resources.length);
  }
}
