import { describe, expect, it } from 'vitest';
import type { Packet } from '../../../src/access/access-types.js';
import { liveDataplane } from '../../../src/access/build-dataplane.js';
import { evaluateConnection } from '../../../src/access/evaluate-connection.js';
import { MAX_PATH_STEPS, MAX_WALK_STEPS } from '../../../src/access/walk-chain.js';

/**
 * Loops the kernel refuses (`iptables-restore` says "Too many levels of symbolic links", `ip rule`
 * "Invalid argument") can still sit in a saved dump: every walk over one ends `unknown`, naming
 * where it loops, and quickly; never a spin or an out-of-memory abort.
 */
const ROUTES = JSON.stringify([
  { dst: '10.0.0.0/24', dev: 'wg0', protocol: 'kernel', scope: 'link', prefsrc: '10.0.0.1' },
  { dst: '172.20.0.0/16', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '172.20.0.2' },
  { type: 'local', dst: '10.0.0.1', table: 'local', dev: 'wg0', protocol: 'kernel', scope: 'host' },
]);

const filter = (lines: readonly string[], chains: readonly string[] = []) =>
  [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ...chains.map((c) => `:${c} - [0:0]`),
    ...lines,
    'COMMIT',
    '',
  ].join('\n');

const SYN: Packet = { src: '10.0.0.5', dst: '172.20.0.9', proto: 'tcp', dport: 443, sport: null, inIface: 'wg0' };

function answer(iptablesSave: string, ipRule = '') {
  const dataplane = liveDataplane({ iptablesSave, ipRule, ipRoute: ROUTES }, () => null, 'dump');
  if (!dataplane.ok) throw new Error(dataplane.error);
  const started = performance.now();
  const result = evaluateConnection(dataplane.value, SYN);
  return { result, ms: performance.now() - started };
}

describe('a loop in a dump is an answer', () => {
  it('two chains that -g into each other: unknown, loop at the goto that closes it', () => {
    const { result, ms } = answer(filter(['-A FORWARD -j A', '-A A -g B', '-A B -g A'], ['A', 'B']));
    expect(result.reaches).toBeNull();
    expect(result.first.verdict).toBe('unknown');
    expect(result.reason).toBe('loop at filter B rule 1: -g A enters a chain the walk is already in');
    expect(result.first.decidedBy).toMatchObject({ chain: 'B', index: 1, action: 'goto A' });
    expect(ms).toBeLessThan(1_000);
  });

  it('a chain that -g or -j itself, and a -j back into a chain still on the call stack', () => {
    expect(answer(filter(['-A FORWARD -j A', '-A A -g A'], ['A'])).result.reason).toBe(
      'loop at filter A rule 1: -g A enters a chain the walk is already in',
    );
    expect(answer(filter(['-A FORWARD -j A', '-A A -j A'], ['A'])).result.reason).toBe(
      'loop at filter A rule 1: -j A enters a chain the walk is already in',
    );
    expect(
      answer(filter(['-A FORWARD -j A', '-A A -j B', '-A B -g C', '-A C -j A'], ['A', 'B', 'C'])).result.reason,
    ).toBe('loop at filter C rule 1: -j A enters a chain the walk is already in');
  });

  it('a loop in nat PREROUTING too', () => {
    const nat = [
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':POSTROUTING ACCEPT [0:0]',
      ':N - [0:0]',
      '-A PREROUTING -g N',
      '-A N -g N',
      'COMMIT',
      '',
    ];
    const { result } = answer(`${filter(['-A FORWARD -j ACCEPT'])}${nat.join('\n')}`);
    expect(result.reaches).toBeNull();
    expect(result.reason).toBe('loop at nat N rule 1: -g N enters a chain the walk is already in');
  });

  it('a chain entered again after it returned is no loop', () => {
    const { result } = answer(
      filter(['-A FORWARD -j A', '-A FORWARD -j A', '-A FORWARD -j ACCEPT', '-A A -j RETURN'], ['A']),
    );
    expect(result.first.verdict).toBe('accept');
  });

  it('chains that call each other 2^20 times end at the step budget', () => {
    const levels = 20;
    const names = Array.from({ length: levels }, (_, i) => `L${i}`);
    const rules = [
      '-A FORWARD -j L0',
      ...names.slice(0, -1).flatMap((n, i) => [`-A ${n} -j L${i + 1}`, `-A ${n} -j L${i + 1}`]),
    ];
    const { result, ms } = answer(filter(rules, names));
    expect(result.reaches).toBeNull();
    expect(result.reason).toBe(
      `filter FORWARD: the walk matched ${MAX_PATH_STEPS.toLocaleString('en-US')} rules without an end (chains that call each other over and over)`,
    );
    expect(result.first.path.filter((step) => step.table === 'filter')).toHaveLength(MAX_PATH_STEPS);
    expect(ms).toBeLessThan(5_000);
  });

  it('a long chain of rules that do not match ends at the step budget', () => {
    // Unmatched rules leave no path; a budget still bounds them (here a chain -g's into a copy of itself 260 times).
    const names = Array.from({ length: 260 }, (_, i) => `C${i}`);
    const rules = [
      '-A FORWARD -j C0',
      ...names.flatMap((n, i) => [
        ...Array.from({ length: 1_000 }, () => `-A ${n} -d 192.0.2.1/32 -j DROP`),
        ...(i + 1 < names.length ? [`-A ${n} -g C${i + 1}`] : []),
      ]),
    ];
    const { result } = answer(filter(rules, names));
    expect(result.reason).toBe(
      `filter FORWARD: the walk passed ${MAX_WALK_STEPS.toLocaleString('en-US')} rules without an end (chains that call each other over and over)`,
    );
  });

  it('an ip rule goto backwards or to itself: unknown, loop at that rule', () => {
    const accept = filter(['-A FORWARD -j ACCEPT']);
    const rules = (gotoTarget: number) =>
      JSON.stringify([
        { priority: 0, src: 'all', table: 'local' },
        { priority: 50, src: 'all', action: 'nop' },
        { priority: 100, src: 'all', goto: gotoTarget },
        { priority: 32766, src: 'all', table: 'main' },
      ]);
    const back = answer(accept, rules(50));
    expect(back.result.reaches).toBeNull();
    expect(back.result.reason).toBe('routing: loop at ip rule 100: goto 50 does not go forward');
    expect(answer(accept, rules(100)).result.reason).toBe('routing: loop at ip rule 100: goto 100 does not go forward');
    // Forward is what the kernel allows: it skips to that rule.
    expect(answer(accept, rules(32766)).result.reaches).toBe(true);
  });
});
