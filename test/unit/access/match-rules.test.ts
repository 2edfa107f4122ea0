import { describe, expect, it } from 'vitest';
import { compileRule } from '../../../src/access/compile-rule.js';
import type { Dataplane, Packet } from '../../../src/access/access-types.js';
import { DEFAULT_RULES } from '../../../src/access/build-dataplane.js';
import { evaluateConnection } from '../../../src/access/evaluate-connection.js';
import type { ObservedChain, ObservedIptables } from '../../../src/model/iptables.js';

/** One FORWARD chain (policy DROP unless given) over two on-link networks: wg0 10.0.0.0/24, eth0 172.20.0.0/16. */
function dataplane(forward: readonly string[], extra: readonly ObservedChain[] = [], policy = 'DROP'): Dataplane {
  const chain = (name: string, rules: readonly string[] = [], p: string | null = 'ACCEPT'): [string, ObservedChain] => [
    name,
    { name, builtin: p !== null, policy: p, rules },
  ];
  const iptables: ObservedIptables = {
    filter: {
      chains: new Map([
        chain('INPUT'),
        chain('FORWARD', forward, policy),
        chain('OUTPUT'),
        ...extra.map((c): [string, ObservedChain] => [c.name, c]),
      ]),
    },
    nat: { chains: new Map([chain('PREROUTING'), chain('INPUT'), chain('OUTPUT'), chain('POSTROUTING')]) },
  };
  const route = (dst: string, dev: string, table = 'main', type = 'unicast') => ({
    table,
    type,
    dst,
    gateway: null,
    dev,
    metric: 0,
    prefsrc: null,
    multipath: false,
  });
  return {
    rulesets: [{ name: 'live', iptables }],
    routing: {
      rules: DEFAULT_RULES,
      routes: [
        route('10.0.0.0/24', 'wg0'),
        route('172.20.0.0/16', 'eth0'),
        route('10.0.0.1/32', 'wg0', 'local', 'local'),
      ],
    },
    sourceOf: () => null,
  };
}

const ESTABLISHED = '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT';
const packet = (dport: number, proto: 'tcp' | 'udp' = 'tcp'): Packet => ({
  src: '10.0.0.5',
  dst: '172.20.0.9',
  proto,
  dport,
  sport: null,
  inIface: 'wg0',
});
const reaches = (rules: readonly string[], p: Packet = packet(443), extra: readonly ObservedChain[] = []) =>
  evaluateConnection(dataplane([ESTABLISHED, ...rules], extra), p).reaches;

describe('matches and targets the model knows', () => {
  it('ports, ranges and multiport, with negation', () => {
    expect(reaches(['-p tcp -m tcp --dport 400:500 -j ACCEPT'])).toBe(true);
    expect(reaches(['-p tcp -m tcp --dport 400:442 -j ACCEPT'])).toBe(false);
    expect(reaches(['-p tcp -m tcp ! --dport 22 -j ACCEPT'])).toBe(true);
    expect(reaches(['-p tcp -m multiport --dports 80,443 -j ACCEPT'])).toBe(true);
    expect(reaches(['-p udp -m multiport --dports 80,443 -j ACCEPT'])).toBe(false);
    expect(reaches(['-p udp -m udp --dport 53 -j ACCEPT'], packet(53, 'udp'))).toBe(true);
  });

  it("source ports: the client's ephemeral port decides only when every ephemeral port agrees", () => {
    expect(reaches(['-p tcp -m tcp --sport 1024:65535 -j ACCEPT'])).toBe(true);
    expect(reaches(['-p tcp -m tcp --sport 1:1023 -j ACCEPT'])).toBe(false);
    expect(reaches(['-p tcp -m tcp --sport 40000 -j ACCEPT'])).toBeNull();
  });

  it('addresses and interfaces, with ! and the + wildcard', () => {
    expect(reaches(['! -s 10.0.0.5/32 -j DROP', '-i wg+ -o eth+ -j ACCEPT'])).toBe(true);
    expect(reaches(['-d 172.20.0.0/16 -i wg1 -j ACCEPT'])).toBe(false);
  });

  it('conntrack: the first packet is NEW, the reply ESTABLISHED', () => {
    expect(evaluateConnection(dataplane(['-m conntrack --ctstate NEW -j ACCEPT']), packet(443)).reaches).toBe(false);
    expect(evaluateConnection(dataplane(['-m state --state NEW,ESTABLISHED -j ACCEPT']), packet(443)).reaches).toBe(
      true,
    );
  });

  it('user chains: -j returns, -g does not, RETURN and the end of a chain go back; LOG continues', () => {
    const user = (name: string, rules: readonly string[]): ObservedChain => ({
      name,
      builtin: false,
      policy: null,
      rules,
    });
    expect(
      reaches(['-j LOG --log-prefix "x y"', '-j A', '-j ACCEPT'], packet(443), [
        user('A', ['-d 172.20.0.9/32 -j RETURN', '-j DROP']),
      ]),
    ).toBe(true);
    expect(reaches(['-g B', '-j ACCEPT'], packet(443), [user('B', [])])).toBe(false);
    expect(
      reaches(['-j C', '-j ACCEPT'], packet(443), [user('C', ['-j REJECT --reject-with icmp-port-unreachable'])]),
    ).toBe(false);
  });

  it('a target or match it does not know is unknown, naming the rule; a jump to a missing chain too', () => {
    const result = evaluateConnection(dataplane([ESTABLISHED, '-p tcp -j TCPMSS --clamp-mss-to-pmtu']), packet(443));
    expect(result.reaches).toBeNull();
    expect(result.first.decidedBy).toMatchObject({ chain: 'FORWARD', index: 2 });
    expect(reaches(['-j NOWHERE'])).toBeNull();
    expect(reaches(['-m limit --limit 5/min -j ACCEPT'])).toBeNull();
    // A failing known match ends the rule first.
    expect(reaches(['-p udp -m limit --limit 5/min -j DROP', '-j ACCEPT'])).toBe(true);
  });

  it('a destination with no route is dropped by routing', () => {
    const result = evaluateConnection(dataplane([ESTABLISHED, '-j ACCEPT']), { ...packet(443), dst: '203.0.113.10' });
    expect(result.reaches).toBe(false);
    expect(result.first.decidedBy).toBeNull();
    expect(result.reason).toBe('routing: no route');
  });
});

describe('policy routing selectors', () => {
  const withRules = (rules: Dataplane['routing']['rules'], nat: readonly string[] = []): Dataplane => {
    const base = dataplane(['-j ACCEPT']);
    const natChains = new Map(base.rulesets[0]!.iptables.nat.chains);
    natChains.set('PREROUTING', { name: 'PREROUTING', builtin: true, policy: 'ACCEPT', rules: nat });
    return {
      ...base,
      rulesets: [{ name: 'live', iptables: { ...base.rulesets[0]!.iptables, nat: { chains: natChains } } }],
      routing: { ...base.routing, rules },
    };
  };
  const rule = (
    priority: number,
    extra: Partial<Dataplane['routing']['rules'][number]>,
  ): Dataplane['routing']['rules'][number] => ({
    priority,
    not: false,
    from: '0.0.0.0/0',
    to: '0.0.0.0/0',
    iif: null,
    oif: null,
    fwmark: null,
    action: { kind: 'blackhole' },
    unmodelled: [],
    ...extra,
  });

  it('a selector it does not evaluate is unknown once reached; a blackhole rule drops', () => {
    expect(
      evaluateConnection(withRules([rule(5, { unmodelled: ['ipproto'] }), ...DEFAULT_RULES]), packet(443)).reaches,
    ).toBeNull();
    expect(
      evaluateConnection(
        withRules([rule(5, { from: '192.0.2.0/24', unmodelled: ['ipproto'] }), ...DEFAULT_RULES]),
        packet(443),
      ).reaches,
    ).toBe(true);
    expect(evaluateConnection(withRules([rule(5, { iif: 'wg0' }), ...DEFAULT_RULES]), packet(443)).reason).toBe(
      'routing: ip rule 5: blackhole',
    );
  });

  it('a fwmark rule reads the mark as 0, unless a MARK target was passed', () => {
    const marks = [rule(5, { fwmark: { value: 1, mask: 0xff } }), ...DEFAULT_RULES];
    expect(evaluateConnection(withRules(marks), packet(443)).reaches).toBe(true);
    expect(evaluateConnection(withRules(marks, ['-j MARK --set-xmark 0x1/0xff']), packet(443)).reaches).toBeNull();
  });
});

describe('an option the model does not know', () => {
  it('voids its module: a known match that is false cannot decide, and a value-less option does not swallow -j', () => {
    const rule = compileRule('-m addrtype ! --dst-type LOCAL --limit-iface-in -j DROP');
    expect(rule.target).toMatchObject({ kind: 'drop' });
    expect(rule.matches).toEqual([{ kind: 'unknown', what: '-m addrtype --limit-iface-in' }]);
  });
});
