import { describe, expect, it } from 'vitest';
import { INITIAL_STATUS, type ControllerStatus, type LastReconcile } from '../../../src/status/controller-status.js';
import { formatIssue } from '../../../src/text/state-issue.js';
import { deriveEvents } from '../../../src/notify/derive-events.js';
import { NOTIFY_EVENTS } from '../../../src/notify/notify-event.js';

const NOW = new Date('2026-12-02T06:00:00.000Z');
const pass = (id: string, converged: boolean, errors: string[] = []): LastReconcile => ({
  id,
  triggers: ['resync'],
  startedAt: NOW.toISOString(),
  durationMs: 5,
  converged,
  result: converged ? 'converged' : 'not_converged',
  actions: {},
  errors,
});
const status = (over: Partial<ControllerStatus>): ControllerStatus => ({ ...INITIAL_STATUS, ...over });

describe('deriveEvents', () => {
  it('tells a drift repair and an unconverged pass once per pass', () => {
    const prev = { status: status({ lastReconcile: pass('r1', true) }) };
    const next = {
      status: status({ lastReconcile: pass('r2', false, ['not converged: 1 actions still pending after apply']) }),
      driftRepairs: { 'update-chain': 2, 'add-address': 0 },
    };
    expect(deriveEvents(prev, next, 'home', NOW)).toEqual([
      {
        event: 'drift_repaired',
        time: NOW.toISOString(),
        cell: 'home',
        reconcile: 'r2',
        summary: '2 live changes undone',
        details: { actions: { 'update-chain': 2 }, repairs: [] },
      },
      {
        event: 'not_converged',
        time: NOW.toISOString(),
        cell: 'home',
        reconcile: 'r2',
        summary: 'not converged: 1 actions still pending after apply',
        details: { errors: ['not converged: 1 actions still pending after apply'], triggers: ['resync'] },
      },
    ]);
    // The same pass seen again (a load between passes) tells nothing new.
    expect(deriveEvents(next, next, 'home', NOW)).toEqual([]);
  });

  it('leaves a held-back (degraded) pass and a guarded one to file_broken and deletion_held_back', () => {
    const prev = { status: status({ lastReconcile: pass('r1', true) }) };
    const summary = (id: string, result: 'degraded' | 'refused') => ({
      id,
      triggers: ['state'],
      startedAt: NOW.toISOString(),
      durationMs: 5,
      result,
      actions: {},
    });
    const degraded = {
      status: status({ lastReconcile: pass('r2', false, ['held back']), recentPasses: [summary('r2', 'degraded')] }),
    };
    expect(deriveEvents(prev, degraded, 'home', NOW)).toEqual([]);
    const guarded = {
      status: status({
        lastReconcile: pass('r3', false, ['guard']),
        recentPasses: [summary('r3', 'refused')],
        massDeleteGuard: { blocked: true, reason: 'guard' },
      }),
    };
    expect(deriveEvents(prev, guarded, 'home', NOW).map((e) => e.event)).toEqual(['deletion_held_back']);
    // Refused by a failing AccessTest (no guard): nothing was applied, and that is told.
    const refused = {
      status: status({ lastReconcile: pass('r4', false, ['test fails']), recentPasses: [summary('r4', 'refused')] }),
    };
    expect(deriveEvents(prev, refused, 'home', NOW).map((e) => e.event)).toEqual(['not_converged']);
  });

  it('tells a file broken and recovered at the change only', () => {
    const broken = { status: status({ fileErrors: [{ file: 'peers/bob.json', pointer: '/ip', message: 'bad IP' }] }) };
    const clean = { status: status({}) };
    expect(deriveEvents(clean, broken, 'home', NOW).map((e) => [e.event, e.summary])).toEqual([
      ['file_broken', 'peers/bob.json: /ip: bad IP'],
    ]);
    expect(deriveEvents(broken, broken, 'home', NOW)).toEqual([]);
    expect(deriveEvents(broken, clean, 'home', NOW).map((e) => [e.event, e.details])).toEqual([
      ['file_recovered', { file: 'peers/bob.json' }],
    ]);
  });

  it('names a whole-file error as the log and validate do: `file: /: message`', () => {
    const issue = {
      file: 'peers/carol.json',
      pointer: '',
      message: 'invalid JSON at line 1 column 19: Unexpected end',
    };
    const broken = { status: status({ fileErrors: [issue] }) };
    const [event] = deriveEvents({ status: status({}) }, broken, 'home', NOW);
    expect(event?.summary).toBe('peers/carol.json: /: invalid JSON at line 1 column 19: Unexpected end');
    expect(event?.summary).toBe(formatIssue(issue));
  });

  it('tells held-back deletions and diverged access when they start or change', () => {
    const held = {
      status: status({ massDeleteGuard: { blocked: true, reason: 'the plan removes every peer' } }),
      accessDifferences: ['bob → files: desired blocked, live reaches'],
    };
    const events = deriveEvents({ status: status({}) }, held, 'home', NOW);
    expect(events.map((e) => e.event).sort()).toEqual(['access_diverged', 'deletion_held_back']);
    expect(deriveEvents(held, held, 'home', NOW)).toEqual([]);
    expect(events.every((e) => NOTIFY_EVENTS.includes(e.event))).toBe(true);
  });
});
