import { describe, expect, it } from 'vitest';
import {
  conditionOf,
  INITIAL_STATUS,
  isReady,
  withLoadResult,
  withAccessCheck,
  withPassReport,
  type ControllerStatus,
  type PassReport,
  type PassResult,
} from '../../../src/status/controller-status.js';
import { stateIssue } from '../../../src/text/state-issue.js';

const at = (second: number): Date => new Date(Date.UTC(2026, 0, 1, 0, 0, second));

function report(result: PassResult, extra: Partial<PassReport> = {}): PassReport {
  return {
    result,
    message: `because ${result}`,
    unreachable: [],
    counts: { peers: 3, links: 1, services: 4 },
    guard: null,
    heldBack: [],
    reconcile: {
      id: 'abcd',
      triggers: ['state'],
      startedAt: at(0).toISOString(),
      durationMs: 12,
      converged: result === 'converged',
      result,
      actions: {},
      errors: [],
    },
    ...extra,
  };
}

function summary(status: ControllerStatus) {
  return status.conditions.map((c) => `${c.type}=${c.status}/${c.reason}@${c.lastTransitionTime.slice(17, 19)}`);
}

describe('controller status conditions', () => {
  it('starts Unknown, becomes Ready on a converged pass, and keeps the transition time while the status holds', () => {
    expect(isReady(INITIAL_STATUS)).toBe(false);
    let status = withLoadResult(INITIAL_STATUS, [], at(1));
    status = withPassReport(status, report('converged'), at(2));
    expect(summary(status)).toEqual([
      'Ready=True/Converged@02',
      'StateValid=True/Valid@01',
      'TargetsReachable=True/Reachable@02',
      'Degraded=False/NothingHeldBack@02',
      'AccessDiverged=Unknown/Starting@00',
    ]);
    expect(isReady(status)).toBe(true);
    status = withPassReport(withLoadResult(status, [], at(5)), report('converged'), at(6));
    expect(summary(status)).toEqual([
      'Ready=True/Converged@02',
      'StateValid=True/Valid@01',
      'TargetsReachable=True/Reachable@02',
      'Degraded=False/NothingHeldBack@02',
      'AccessDiverged=Unknown/Starting@00',
    ]);
  });

  it('is not Ready while a broken file holds something back, names the file under Degraded, and recovers', () => {
    const heldBack = [{ file: 'peers/frank.json', reason: 'unattributed' as const, resources: ['PIC-PEER-10-0-0-9'] }];
    let status = withPassReport(INITIAL_STATUS, report('degraded', { heldBack }), at(1));
    expect(isReady(status)).toBe(false);
    expect(conditionOf(status, 'Ready')).toMatchObject({ status: 'False', reason: 'Degraded' });
    expect(conditionOf(status, 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'HeldBack',
      message: 'peers/frank.json: PIC-PEER-10-0-0-9',
    });
    expect(status.heldBack).toEqual(heldBack);
    // A pass that planned nothing (null) keeps the list; the next converged pass clears it.
    status = withPassReport(status, report('invalid_state', { heldBack: null }), at(2));
    expect(status.heldBack).toEqual(heldBack);
    status = withPassReport(status, report('converged'), at(3));
    expect(conditionOf(status, 'Degraded')).toMatchObject({ status: 'False', lastTransitionTime: at(3).toISOString() });
    expect(isReady(status)).toBe(true);
  });

  it('reports file errors under StateValid without touching Ready, and clears them when fixed', () => {
    let status = withPassReport(withLoadResult(INITIAL_STATUS, [], at(1)), report('converged'), at(1));
    const issue = stateIssue('peers/bob.json', '', 'Unexpected end of JSON input');
    status = withLoadResult(status, [issue], at(3));
    expect(conditionOf(status, 'StateValid')).toMatchObject({
      status: 'False',
      reason: 'FileErrors',
      lastTransitionTime: at(3).toISOString(),
    });
    expect(status.fileErrors).toEqual([issue]);
    expect(isReady(status)).toBe(true);
    status = withLoadResult(status, [], at(4));
    expect(conditionOf(status, 'StateValid')).toMatchObject({
      status: 'True',
      lastTransitionTime: at(4).toISOString(),
    });
    expect(status.fileErrors).toEqual([]);
  });

  it('names the reason Ready is False for every non-converged result', () => {
    const reasons: Record<Exclude<PassResult, 'converged'>, string> = {
      not_converged: 'NotConverged',
      refused: 'MassDeleteGuard',
      invalid_state: 'NoValidState',
      error: 'ReconcileError',
      degraded: 'Degraded',
    };
    for (const [result, reason] of Object.entries(reasons) as [Exclude<PassResult, 'converged'>, string][]) {
      const status = withPassReport(INITIAL_STATUS, report(result), at(9));
      expect(conditionOf(status, 'Ready')).toMatchObject({ status: 'False', reason, message: `because ${result}` });
    }
  });

  it('reports unreachable targets, and keeps TargetsReachable when a pass observed nothing', () => {
    let status = withPassReport(
      INITIAL_STATUS,
      report('not_converged', { unreachable: ['docker:cell-wireguard: docker daemon unreachable (ENOENT)'] }),
      at(1),
    );
    expect(conditionOf(status, 'TargetsReachable')).toMatchObject({
      status: 'False',
      reason: 'Unreachable',
      message: 'docker:cell-wireguard: docker daemon unreachable (ENOENT)',
    });
    status = withPassReport(status, report('invalid_state', { unreachable: null }), at(2));
    expect(conditionOf(status, 'TargetsReachable')).toMatchObject({
      status: 'False',
      lastTransitionTime: at(1).toISOString(),
    });
    status = withPassReport(status, report('converged'), at(3));
    expect(conditionOf(status, 'TargetsReachable')).toMatchObject({
      status: 'True',
      lastTransitionTime: at(3).toISOString(),
    });
  });

  it('shows the mass-delete guard while it holds, and drops it once a pass is not refused', () => {
    const guard = 'mass-delete guard: the plan removes every peer (3); start with --allow-mass-delete to confirm';
    let status = withPassReport(INITIAL_STATUS, report('refused', { guard, message: guard, counts: null }), at(1));
    expect(status.massDeleteGuard).toEqual({ blocked: true, reason: guard });
    expect(status.counts).toEqual(INITIAL_STATUS.counts);
    status = withPassReport(status, report('converged'), at(2));
    expect(status.massDeleteGuard).toEqual({ blocked: false, reason: null });
    expect(status.counts).toEqual({ peers: 3, links: 1, services: 4 });
    expect(status.lastReconcile?.id).toBe('abcd');
  });

  it('names a diverged pair and its deciding rule under AccessDiverged, leaves Ready as the rule-text verdict, and clears', () => {
    let status = withPassReport(withLoadResult(INITIAL_STATUS, [], at(1)), report('converged'), at(2));
    const step = {
      ruleset: 'legacy',
      table: 'filter' as const,
      chain: 'FORWARD',
      index: 1,
      rule: '-d 172.20.0.21/32 -j DROP',
      owner: 'foreign' as const,
      source: null,
      action: 'DROP',
    };
    const backend = { writes: 'nft', other: 'legacy', otherRules: ['filter -A FORWARD -d 172.20.0.21/32 -j DROP'] };
    status = withAccessCheck(
      status,
      {
        diverged: [{ from: 'bob', to: 'calendar', live: false, desired: true, decidedBy: step }],
        checked: 30,
        total: 30,
      },
      backend,
      at(3),
    );
    expect(conditionOf(status, 'AccessDiverged')).toMatchObject({ status: 'True', reason: 'ForeignRuleDecides' });
    expect(conditionOf(status, 'AccessDiverged')?.message).toContain(
      'bob → calendar: live blocked, desired reaches, decided by filter FORWARD rule 1 (foreign, legacy): -d 172.20.0.21/32 -j DROP',
    );
    expect(isReady(status)).toBe(true);
    expect(status.access?.backend.otherRules).toEqual(backend.otherRules);
    status = withAccessCheck(
      status,
      { diverged: [], checked: 30, total: 30 },
      { writes: 'nft', other: 'legacy', otherRules: [] },
      at(4),
    );
    expect(conditionOf(status, 'AccessDiverged')).toMatchObject({
      status: 'False',
      reason: 'AccessMatches',
      lastTransitionTime: at(4).toISOString(),
    });
    expect(status.access?.diverged).toEqual([]);
  });
});
