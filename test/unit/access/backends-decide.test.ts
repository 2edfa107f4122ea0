import { describe, expect, it } from 'vitest';
import type { Dataplane, Packet } from '../../../src/access/access-types.js';
import { liveRouting } from '../../../src/access/build-dataplane.js';
import { evaluateConnection } from '../../../src/access/evaluate-connection.js';
import { formatExplanationText } from '../../../src/access/format-explanation.js';
import { parseIptablesSave } from '../../../src/parse/parse-iptables-save.js';

/** Two backends as the kernel runs them: the one holding the cell first, the other (often empty) after. */
const ROUTES = JSON.stringify([
  { dst: '10.0.0.0/24', dev: 'wg0' },
  { dst: '172.20.0.0/16', dev: 'eth0' },
]);
const tables = (forwardPolicy: string, forward: readonly string[]) => {
  const parsed = parseIptablesSave(
    ['*filter', `:FORWARD ${forwardPolicy} [0:0]`, ...forward.map((r) => `-A FORWARD ${r}`), 'COMMIT', ''].join('\n'),
  );
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};
const dataplane = (own: readonly string[], otherPolicy: string, other: readonly string[] = []): Dataplane => {
  const routing = liveRouting('', ROUTES);
  if (!routing.ok) throw new Error(routing.error);
  return {
    rulesets: [
      { name: 'nft', iptables: tables('DROP', own) },
      { name: 'legacy', iptables: tables(otherPolicy, other) },
    ],
    routing: routing.value,
    sourceOf: () => null,
  };
};
const SYN: Packet = { src: '10.0.0.5', dst: '172.20.0.9', proto: 'tcp', dport: 443, sport: null, inIface: 'wg0' };
const OWN = ['-s 10.0.0.5/32 -j ACCEPT', '-d 10.0.0.5/32 -j ACCEPT'];

describe('what decided, in two backends', () => {
  it('an accept is the rule of the backend holding the cell; an empty other backend adds no step', () => {
    const result = evaluateConnection(dataplane(OWN, 'ACCEPT'), SYN);
    expect(result.reaches).toBe(true);
    expect(result.first.decidedBy).toMatchObject({ ruleset: 'nft', chain: 'FORWARD', index: 1 });
    expect(result.first.path.map((s) => s.ruleset)).not.toContain('legacy');
    const text = formatExplanationText({ result, fromLabel: 'a', toLabel: 'b', rules: 'live' });
    expect(text).toContain('verdict: accept at filter FORWARD rule 1 (foreign)');
  });

  it("an empty backend's DROP policy is the one that decides", () => {
    const result = evaluateConnection(dataplane(OWN, 'DROP'), SYN);
    expect(result.reaches).toBe(false);
    expect(result.first.decidedBy).toMatchObject({ ruleset: 'legacy', chain: 'FORWARD', index: 0, owner: 'policy' });
  });

  it('with rules in both, every line names its backend', () => {
    const result = evaluateConnection(dataplane(OWN, 'ACCEPT', ['-p udp -j DROP']), SYN);
    expect(result.first.decidedBy).toMatchObject({ ruleset: 'nft', index: 1 });
    const backends = [
      { name: 'nft', empty: false },
      { name: 'legacy', empty: false },
    ];
    const text = formatExplanationText({ result, fromLabel: 'a', toLabel: 'b', rules: 'live', backends });
    expect(text).toContain('over the live rules (nft and legacy)');
    expect(text).toMatch(/ {3}3 {2}nft filter FORWARD #1 /);
    expect(text).toMatch(/ {3}4 {2}legacy filter FORWARD policy /);
    expect(text).toContain('verdict: accept at nft filter FORWARD rule 1 (foreign)');
  });
});
