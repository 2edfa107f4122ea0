import { describe, expect, it } from 'vitest';
import { compileRestoreInput, restoreLineAt } from '../../../src/apply/restore-input.js';
import type { IptablesAction } from '../../../src/model/plan.js';
import { simulateRestore } from '../../helpers/simulate-restore.js';
import { jumpRule, observedTables, rulesOf } from '../plan/fixtures.js';

const JUMP = jumpRule('PIC-FORWARD');

describe('compileRestoreInput', () => {
  it('is null for no actions, so no process starts', () => {
    expect(compileRestoreInput([])).toBeNull();
  });

  it('orders each table: declare, fill, edit, built-in deletes, jumps, flush all, delete all', () => {
    const actions: IptablesAction[] = [
      { kind: 'delete-chain', table: 'filter', chain: 'PIC-OLD', rules: ['-j PIC-OLD-2'], reason: '' },
      { kind: 'delete-chain', table: 'filter', chain: 'PIC-OLD-2', rules: ['-j DROP'], reason: '' },
      { kind: 'insert-jump', table: 'filter', chain: 'FORWARD', rule: JUMP, reason: '' },
      { kind: 'delete-rule', table: 'filter', chain: 'FORWARD', rule: jumpRule('PIC-OLD'), reason: '' },
      {
        kind: 'update-chain',
        table: 'filter',
        chain: 'PIC-FORWARD',
        edits: [
          { op: 'delete', index: 2, rule: '-j PIC-OLD' },
          { op: 'insert', index: 2, rule: '-j PIC-NEW' },
        ],
        reason: '',
      },
      { kind: 'create-chain', table: 'filter', chain: 'PIC-NEW', rules: ['-j ACCEPT', '-j DROP'], reason: '' },
      { kind: 'create-chain', table: 'filter', chain: 'PIC-EMPTY', rules: [], reason: '' },
    ];
    expect(compileRestoreInput(actions)).toBe(
      [
        '*filter',
        ':PIC-NEW - [0:0]',
        ':PIC-EMPTY - [0:0]',
        '-A PIC-NEW -j ACCEPT',
        '-A PIC-NEW -j DROP',
        '-D PIC-FORWARD 2',
        '-I PIC-FORWARD 2 -j PIC-NEW',
        `-D FORWARD ${jumpRule('PIC-OLD')}`,
        `-I FORWARD 1 ${JUMP}`,
        '-F PIC-OLD',
        '-F PIC-OLD-2',
        '-X PIC-OLD',
        '-X PIC-OLD-2',
        'COMMIT',
        '',
      ].join('\n'),
    );
    // And that order is one iptables would accept.
    const observed = observedTables({
      filter: {
        FORWARD: [jumpRule('PIC-OLD')],
        'PIC-FORWARD': ['-j ACCEPT', '-j PIC-OLD'],
        'PIC-OLD': ['-j PIC-OLD-2'],
        'PIC-OLD-2': ['-j DROP'],
      },
    });
    const after = simulateRestore(observed, compileRestoreInput(actions) ?? '');
    expect([...after.filter.chains.keys()].filter((n) => n.startsWith('PIC-')).sort()).toEqual([
      'PIC-EMPTY',
      'PIC-FORWARD',
      'PIC-NEW',
    ]);
    expect(rulesOf(after, 'filter', 'FORWARD')).toEqual([JUMP]);
    expect(rulesOf(after, 'filter', 'PIC-FORWARD')).toEqual(['-j ACCEPT', '-j PIC-NEW']);
  });

  it('writes a COMMIT only for tables that got lines', () => {
    const nat: IptablesAction = {
      kind: 'insert-jump',
      table: 'nat',
      chain: 'PREROUTING',
      rule: jumpRule('PIC-PREROUTING'),
      reason: '',
    };
    expect(compileRestoreInput([nat])).toBe(`*nat\n-I PREROUTING 1 ${jumpRule('PIC-PREROUTING')}\nCOMMIT\n`);
    const filter: IptablesAction = {
      kind: 'delete-rule',
      table: 'filter',
      chain: 'FORWARD',
      rule: '-i wg0 -o eth0 -p tcp -m tcp --dport 3000 -j ACCEPT',
      reason: '',
    };
    expect(
      compileRestoreInput([nat, filter])
        ?.split('\n')
        .filter((l) => l.startsWith('*') || l === 'COMMIT'),
    ).toEqual(['*filter', 'COMMIT', '*nat', 'COMMIT']);
  });
});

describe('restoreLineAt', () => {
  const input = '*filter\n:PIC-A - [0:0]\n-A PIC-A -j NOPE\nCOMMIT\n';
  it('maps the line iptables-restore reports back to its text', () => {
    expect(restoreLineAt(input, 3)).toBe('-A PIC-A -j NOPE');
    expect(restoreLineAt(input, 1)).toBe('*filter');
    expect(restoreLineAt(input, 4)).toBe('COMMIT');
  });
  it('is null outside the input', () => {
    expect(restoreLineAt(input, 0)).toBeNull();
    expect(restoreLineAt(input, 5)).toBeNull();
    expect(restoreLineAt(input, 2.5)).toBeNull();
  });
});
