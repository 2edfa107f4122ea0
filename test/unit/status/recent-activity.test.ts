import { describe, expect, it } from 'vitest';
import {
  RECENT_PASSES,
  RECENT_REPAIRS,
  restoredRules,
  withRecentActivity,
  type DriftRepair,
  type PassSummary,
  type RecentActivity,
} from '../../../src/status/recent-activity.js';
import { matrixDifferences } from '../../../src/model/access-matrix-view.js';

const pass = (i: number): PassSummary => ({
  id: `r${i}`,
  triggers: ['resync'],
  startedAt: '2026-12-02T06:00:00.000Z',
  durationMs: i,
  result: 'converged',
  actions: {},
});
const repair = (i: number): DriftRepair => ({
  time: '2026-12-02T06:00:00.000Z',
  reconcile: `r${i}`,
  kind: 'insert-jump',
  subject: 'filter/FORWARD',
  reason: `${i}`,
  rules: [],
});

describe('recent passes and drift repairs', () => {
  it('keeps the newest first and drops the oldest beyond the bound', () => {
    let activity: RecentActivity = { recentPasses: [], recentRepairs: [] };
    for (let i = 1; i <= 30; i++) activity = withRecentActivity(activity, pass(i), [repair(2 * i - 1), repair(2 * i)]);
    expect(activity.recentPasses.map((p) => p.id)).toEqual(
      Array.from({ length: RECENT_PASSES }, (_, k) => `r${30 - k}`),
    );
    expect(activity.recentRepairs).toHaveLength(RECENT_REPAIRS);
    // Within a pass too, the last repair comes first.
    expect(activity.recentRepairs.slice(0, 3).map((r) => r.reason)).toEqual(['60', '59', '58']);
  });

  it('names the rules an iptables repair wrote back', () => {
    expect(
      restoredRules({
        kind: 'insert-jump',
        table: 'filter',
        chain: 'FORWARD',
        rule: '-A FORWARD -j PIC-FORWARD',
        reason: 'missing',
      }),
    ).toEqual(['-A FORWARD -j PIC-FORWARD']);
    const edits = [
      { op: 'delete', index: 2, rule: '-A PIC-X -j DROP' },
      { op: 'insert', index: 2, rule: '-A PIC-X -j ACCEPT' },
    ] as const;
    expect(restoredRules({ kind: 'update-chain', table: 'filter', chain: 'PIC-X', edits, reason: 'edited' })).toEqual([
      '-A PIC-X -j ACCEPT',
    ]);
    expect(restoredRules({ kind: 'write-corefile', text: '', previous: null, reason: 'edited' })).toEqual([]);
  });

  it('lists the differing cells of a matrix, none without one', () => {
    const matrix = {
      rows: ['bob', 'alice'],
      columns: ['internet', 'api'],
      cells: [
        [
          { reaches: false, differs: true },
          { reaches: true, differs: false },
        ],
        [
          { reaches: null, differs: false },
          { reaches: true, differs: true },
        ],
      ],
    };
    expect(matrixDifferences(matrix)).toEqual([
      'bob → internet: live is dropped, the desired state decides otherwise',
      'alice → api: live reaches, the desired state decides otherwise',
    ]);
    expect(matrixDifferences(null)).toEqual([]);
  });
});
