import { describe, expect, it } from 'vitest';
import { DEFAULT_LAYOUT } from '../../../src/model/facts.js';
import { legacySeedRuleReason } from '../../../src/plan/legacy-seed-rules.js';

const reason = (table: 'filter' | 'nat', chain: string, rule: string): string | null =>
  legacySeedRuleReason(table, chain, rule, DEFAULT_LAYOUT);

describe('legacySeedRuleReason', () => {
  it("recognises the seed's tags in FORWARD, and only there", () => {
    const peer = '-s 10.0.0.2/32 -m comment --comment "pic-peer-10-0-0-2/32" -j ACCEPT';
    expect(reason('filter', 'FORWARD', peer)).toBe('legacy seed rule (tag pic-peer-10-0-0-2/32)');
    expect(reason('filter', 'FORWARD', '-s 10.1.0.0/24 -m comment --comment pic-cell-lyon -j DROP')).toBe(
      'legacy seed rule (tag pic-cell-lyon)',
    );
    expect(reason('filter', 'INPUT', peer)).toBeNull();
    expect(reason('filter', 'FORWARD', '-m comment --comment "pic:jump" -j PIC-FORWARD')).toBeNull();
    expect(reason('filter', 'FORWARD', '-s 10.0.0.0/24 -m comment --comment pic-unknown-peers -j DROP')).toBeNull();
  });

  it('recognises the untagged port-3000 rules by their exact shape', () => {
    expect(reason('filter', 'FORWARD', '-i wg0 -o eth0 -p tcp -m tcp --dport 3000 -j ACCEPT')).toMatch(
      /^legacy seed rule/,
    );
    expect(
      reason('nat', 'PREROUTING', '-i wg0 -p tcp -m tcp --dport 3000 -j DNAT --to-destination 172.20.0.7:3000'),
    ).toMatch(/^legacy seed rule/);
    expect(reason('nat', 'POSTROUTING', '-d 172.20.0.7/32 -o eth0 -p tcp -m tcp --dport 3000 -j MASQUERADE')).toMatch(
      /^legacy seed rule/,
    );
  });

  it('leaves near misses alone', () => {
    expect(reason('filter', 'FORWARD', '-i wg0 -o eth0 -p tcp -m tcp --dport 3000 -j DROP')).toBeNull();
    expect(
      reason('filter', 'FORWARD', '-s 10.0.0.9/32 -i wg0 -o eth0 -p tcp -m tcp --dport 3000 -j ACCEPT'),
    ).toBeNull();
    expect(
      reason('nat', 'PREROUTING', '-i wg0 -p tcp -m tcp --dport 3000 -j DNAT --to-destination 172.20.0.7:8080'),
    ).toBeNull();
    expect(
      reason('nat', 'PREROUTING', '-i wg0 -p tcp -m tcp --dport 3000 -j DNAT --to-destination 999.1.1:3000'),
    ).toBeNull();
    expect(
      reason('nat', 'POSTROUTING', '-d 172.20.0.7/32 -o eth0 -p tcp -m tcp --dport 3000 -j SNAT --to-source 1.2.3.4'),
    ).toBeNull();
    expect(
      reason('nat', 'OUTPUT', '-i wg0 -p tcp -m tcp --dport 3000 -j DNAT --to-destination 172.20.0.7:3000'),
    ).toBeNull();
  });
});
