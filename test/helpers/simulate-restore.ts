import {
  BUILTIN_CHAINS,
  TABLES,
  type ObservedChain,
  type ObservedIptables,
  type ObservedRule,
  type TableName,
} from '../../src/model/iptables.js';
import { ruleTarget } from '../../src/model/iptables-rule.js';

/**
 * Applies an `iptables-restore --noflush` input to observed tables, with iptables'
 * semantics for the subset the compiler emits, and throws where iptables would fail:
 * an unknown chain or target, an index out of range, a rule spec not found, `-X` of a
 * chain that is built in, not empty or still referenced. The whole input is one
 * transaction: on a throw nothing is returned, as a failed restore changes nothing.
 */

/** Targets that are extensions, not chains. */
const EXTENSION_TARGETS = new Set([
  'ACCEPT',
  'DROP',
  'RETURN',
  'REJECT',
  'DNAT',
  'SNAT',
  'MASQUERADE',
  'LOG',
  'MARK',
  'REDIRECT',
]);

interface MutableChain {
  name: string;
  builtin: boolean;
  policy: string | null;
  rules: ObservedRule[];
}

export function simulateRestore(observed: ObservedIptables, input: string): ObservedIptables {
  const tables = new Map<TableName, Map<string, MutableChain>>();
  for (const table of TABLES) {
    const chains = new Map<string, MutableChain>();
    for (const builtin of BUILTIN_CHAINS[table])
      chains.set(builtin, { name: builtin, builtin: true, policy: 'ACCEPT', rules: [] });
    for (const chain of observed[table].chains.values()) chains.set(chain.name, { ...chain, rules: [...chain.rules] });
    tables.set(table, chains);
  }
  let current: Map<string, MutableChain> | null = null;
  const lines = input.split('\n');
  lines.forEach((line, index) => {
    const fail = (message: string): never => {
      throw new Error(`line ${index + 1} failed: ${message}: ${line}`);
    };
    if (line.trim() === '' || line.startsWith('#')) return;
    if (line.startsWith('*')) {
      if (current !== null) fail('table opened inside another');
      current = tables.get(line.slice(1) as TableName) ?? fail('unknown table');
      return;
    }
    const chains: Map<string, MutableChain> = current ?? fail('no table');
    if (line === 'COMMIT') {
      current = null;
      return;
    }
    if (line.startsWith(':')) {
      const [name = '', policy = ''] = line.slice(1).split(' ');
      const existing = chains.get(name);
      if (existing?.builtin) {
        if (policy === '-') fail('built-in chain needs a policy');
        existing.policy = policy;
      } else if (existing) existing.rules = [];
      else chains.set(name, { name, builtin: false, policy: null, rules: [] });
      return;
    }
    const [command = '', chainName = '', ...rest] = line.split(' ');
    const chain = chains.get(chainName) ?? fail(`no chain ${chainName}`);
    const checkTarget = (rule: string): void => {
      const target = ruleTarget(rule);
      if (target !== null && !EXTENSION_TARGETS.has(target) && !chains.has(target)) fail(`no chain/target ${target}`);
    };
    switch (command) {
      case '-A': {
        const rule = rest.join(' ');
        checkTarget(rule);
        chain.rules.push(rule);
        return;
      }
      case '-I': {
        const numbered = /^[0-9]+$/.test(rest[0] ?? '');
        const position = numbered ? Number(rest[0]) : 1;
        const rule = (numbered ? rest.slice(1) : rest).join(' ');
        if (position < 1 || position > chain.rules.length + 1) fail('Index of insertion too big');
        checkTarget(rule);
        chain.rules.splice(position - 1, 0, rule);
        return;
      }
      case '-D': {
        if (rest.length === 1 && /^[0-9]+$/.test(rest[0] ?? '')) {
          const position = Number(rest[0]);
          if (position < 1 || position > chain.rules.length) fail('Index of deletion too big');
          chain.rules.splice(position - 1, 1);
          return;
        }
        const at = chain.rules.indexOf(rest.join(' '));
        if (at < 0) fail('Bad rule (does a matching rule exist in that chain?)');
        chain.rules.splice(at, 1);
        return;
      }
      case '-F':
        chain.rules = [];
        return;
      case '-X': {
        if (chain.builtin) fail('cannot delete built-in chain');
        if (chain.rules.length > 0) fail('Directory not empty');
        for (const other of chains.values()) {
          if (other.rules.some((r) => typeof r === 'string' && ruleTarget(r) === chain.name))
            fail(`Device or resource busy (referenced from ${other.name})`);
        }
        chains.delete(chain.name);
        return;
      }
      default:
        fail('unsupported command');
    }
  });
  if (current !== null) throw new Error('input ends without COMMIT');
  const result = {} as Record<TableName, { chains: Map<string, ObservedChain> }>;
  for (const table of TABLES) {
    const chains = new Map<string, ObservedChain>();
    for (const chain of tables.get(table)?.values() ?? [])
      chains.set(chain.name, { name: chain.name, builtin: chain.builtin, policy: chain.policy, rules: chain.rules });
    result[table] = { chains };
  }
  return result;
}
