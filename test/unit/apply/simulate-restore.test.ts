import { describe, expect, it } from 'vitest';
import { simulateRestore } from '../../helpers/simulate-restore.js';
import { observedTables, rulesOf } from '../plan/fixtures.js';

/** The simulator is the referee of the property tests: check it fails where iptables does. */
describe('simulateRestore', () => {
  const observed = observedTables({
    filter: { FORWARD: ['-j PIC-A', '-j ACCEPT'], 'PIC-A': ['-j DROP', '-j RETURN'], 'PIC-B': [] },
  });
  const run = (body: string) => simulateRestore(observed, `*filter\n${body}\nCOMMIT\n`);

  it('applies -A, -I n, -D by index and by spec, -F and -X', () => {
    const after = run(
      ':PIC-C - [0:0]\n-A PIC-C -j ACCEPT\n-I PIC-A 3 -j LOG\n-D PIC-A 1\n-D FORWARD -j ACCEPT\n-I FORWARD -j PIC-C\n-X PIC-B',
    );
    expect(rulesOf(after, 'filter', 'PIC-A')).toEqual(['-j RETURN', '-j LOG']);
    expect(rulesOf(after, 'filter', 'FORWARD')).toEqual(['-j PIC-C', '-j PIC-A']);
    expect(rulesOf(after, 'filter', 'PIC-B')).toBeUndefined();
    expect(observed.filter.chains.get('PIC-A')?.rules).toEqual(['-j DROP', '-j RETURN']);
  });

  it('flushes an existing user chain that is declared again', () => {
    expect(rulesOf(run(':PIC-A - [0:0]'), 'filter', 'PIC-A')).toEqual([]);
  });

  it('refuses what iptables refuses', () => {
    expect(() => run('-F PIC-A\n-X PIC-A')).toThrow(/line 3 failed: Device or resource busy/);
    expect(() => run('-X PIC-A')).toThrow(/not empty/);
    expect(() => run('-X FORWARD')).toThrow(/built-in/);
    expect(() => run('-I PIC-A 4 -j DROP')).toThrow(/too big/);
    expect(() => run('-D PIC-A 3')).toThrow(/too big/);
    expect(() => run('-D PIC-A -j ACCEPT')).toThrow(/Bad rule/);
    expect(() => run('-A PIC-A -j PIC-NONE')).toThrow(/no chain\/target PIC-NONE/);
    expect(() => run('-A PIC-NONE -j DROP')).toThrow(/no chain PIC-NONE/);
    expect(() => simulateRestore(observed, '*filter\n-A PIC-B -j DROP\n')).toThrow(/without COMMIT/);
  });
});
