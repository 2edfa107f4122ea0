import {
  BUILTIN_CHAINS,
  TABLES,
  type IptablesModel,
  type JumpRule,
  type ObservedChain,
  type ObservedIptables,
  type ObservedRule,
  type TableName,
} from '../../../src/model/iptables.js';

/** Small builders for iptables fixtures in plan and apply tests. */

export function jumpRule(target: string): string {
  return `-m comment --comment "pic:jump" -j ${target}`;
}

/** Observed tables: every built-in chain (policy ACCEPT, empty unless given), then the user chains given. */
export function observedTables(spec: Partial<Record<TableName, Record<string, readonly string[]>>>): ObservedIptables {
  const result = {} as Record<TableName, { chains: Map<string, ObservedChain> }>;
  for (const table of TABLES) {
    const given = spec[table] ?? {};
    const chains = new Map<string, ObservedChain>();
    for (const name of BUILTIN_CHAINS[table])
      chains.set(name, { name, builtin: true, policy: 'ACCEPT', rules: given[name] ?? [] });
    for (const [name, rules] of Object.entries(given)) {
      if (!chains.has(name)) chains.set(name, { name, builtin: false, policy: null, rules });
    }
    result[table] = { chains };
  }
  return result;
}

export function desiredModel(
  spec: Partial<Record<TableName, { chains?: Record<string, readonly string[]>; jumps?: readonly JumpRule[] }>>,
): IptablesModel {
  const result = {} as Record<TableName, IptablesModel[TableName]>;
  for (const table of TABLES) {
    const given = spec[table] ?? {};
    result[table] = {
      chains: Object.entries(given.chains ?? {}).map(([name, rules]) => ({ name, rules })),
      jumps: given.jumps ?? [],
    };
  }
  return result;
}

/** The rules of a chain, or undefined when it does not exist. */
export function rulesOf(
  tables: ObservedIptables,
  table: TableName,
  chain: string,
): readonly ObservedRule[] | undefined {
  return tables[table].chains.get(chain)?.rules;
}
