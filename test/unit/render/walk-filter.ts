import { cidrContains, parseCidr, parseIPv4 } from '../../../src/model/ipv4.js';
import { tokenizeRule } from '../../../src/model/iptables-rule.js';
import type { TableModel } from '../../../src/model/iptables.js';

/** A forwarded packet, as the filter table sees it. */
export interface Packet {
  readonly src: string;
  readonly dst: string;
  readonly in: string;
  readonly out: string;
  readonly proto?: 'tcp' | 'udp';
  readonly dport?: number;
}

function matches(rule: string, p: Packet): { target: string } | null {
  const tokens = tokenizeRule(rule);
  if ('error' in tokens) throw new Error(tokens.error);
  const values = tokens.map((t) => t.value);
  let target: string | null = null;
  for (let i = 0; i < values.length; i++) {
    const opt = values[i];
    const arg = values[i + 1] ?? '';
    const inCidr = (ip: string): boolean =>
      cidrContains(parseCidr(arg, false) ?? { network: 0, prefixlen: 33 }, parseIPv4(ip) ?? -1);
    switch (opt) {
      case '-s':
        if (!inCidr(p.src)) return null;
        i++;
        break;
      case '-d':
        if (!inCidr(p.dst)) return null;
        i++;
        break;
      case '-i':
        if (arg !== p.in) return null;
        i++;
        break;
      case '-o':
        if (arg !== p.out) return null;
        i++;
        break;
      case '-p':
        if (arg !== p.proto) return null;
        i++;
        break;
      case '--dport':
        if (Number(arg) !== p.dport) return null;
        i++;
        break;
      case '-m':
        i++;
        break;
      case '--comment':
        i++;
        break;
      case '-j':
        target = arg;
        i++;
        break;
      default:
        throw new Error(`walkFilter does not know ${opt} in: ${rule}`);
    }
  }
  if (target === null) throw new Error(`no target in: ${rule}`);
  return { target };
}

/**
 * The verdict of the owned filter rules for a packet entering FORWARD: ACCEPT, DROP,
 * or 'policy' when it falls through to the built-in chain's own rules and policy.
 */
export function walkFilter(table: TableModel, p: Packet): 'ACCEPT' | 'DROP' | 'policy' {
  const chains = new Map(table.chains.map((c) => [c.name, c.rules]));
  const walk = (rules: readonly string[], depth: number): 'ACCEPT' | 'DROP' | null => {
    if (depth > 8) throw new Error('jump loop');
    for (const rule of rules) {
      const hit = matches(rule, p);
      if (hit === null) continue;
      if (hit.target === 'ACCEPT' || hit.target === 'DROP') return hit.target;
      const sub = chains.get(hit.target);
      if (sub === undefined) throw new Error(`jump to missing chain ${hit.target}`);
      const verdict = walk(sub, depth + 1);
      if (verdict !== null) return verdict;
    }
    return null;
  };
  return (
    walk(
      table.jumps.filter((j) => j.chain === 'FORWARD').map((j) => j.rule),
      0,
    ) ?? 'policy'
  );
}
