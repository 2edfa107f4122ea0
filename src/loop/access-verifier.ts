/**
 * Runs the access check after a converged pass, and only when what it depends on changed: the
 * desired state, the api's address, the live rules that are not ours, the other backend. A resync
 * of an untouched cell costs one key, not a matrix.
 */
import { accessDivergence, accessMatrixView, divergenceKey, type LiveTables } from '../access/access-divergence.js';
import type { DesiredState } from '../model/desired-state.js';
import type { Facts, LayoutConfig } from '../model/facts.js';
import type { ObservedCell } from '../model/observed-cell.js';
import { ownBackend } from '../parse/parse-iptables-backends.js';
import type { ReconcileResult } from '../pass/reconcile-cell.js';
import type { AccessReport } from '../status/reconcile-report.js';

/** The live tables after the pass: apply's read-back when it wrote, else what the pass observed. */
function liveAfter(
  result: Pick<ReconcileResult, 'apply'>,
  observed: Pick<ObservedCell, 'iptables' | 'backend'>,
): Pick<ObservedCell, 'iptables' | 'backend'> | null {
  if (result.apply?.touched.iptables === true) {
    const { iptables, backend } = result.apply.readback;
    return iptables === undefined ? null : { iptables, ...(backend === undefined ? {} : { backend }) };
  }
  return observed;
}

export class AccessVerifier {
  private last: { readonly state: DesiredState; readonly key: string; readonly report: AccessReport } | null = null;

  constructor(private readonly layout: LayoutConfig) {}

  /** null when the pass left nothing to judge (not converged, tables not read back). */
  check(
    state: DesiredState,
    facts: Facts,
    result: Pick<ReconcileResult, 'converged' | 'apply'>,
    observed: Pick<ObservedCell, 'iptables' | 'backend'>,
  ): AccessReport | null {
    if (!result.converged) return null;
    const tables = liveAfter(result, observed);
    if (tables === null || !tables.iptables.ok) return null;
    const backend = tables.backend ?? null;
    const live: LiveTables = {
      ours: tables.iptables.value,
      other: backend?.other == null ? null : { name: backend.other.name, iptables: backend.other.iptables },
      name: (backend === null ? null : ownBackend(backend)) ?? 'live',
    };
    const key = `${facts.apiIp ?? ''}\n${divergenceKey(live)}`;
    if (this.last !== null && this.last.state === state && this.last.key === key) return this.last.report;
    const report: AccessReport = {
      check: accessDivergence(state, facts, this.layout, live),
      backend,
      matrix: accessMatrixView(state, facts, this.layout, live),
    };
    this.last = { state, key, report };
    return report;
  }
}
