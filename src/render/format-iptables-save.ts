import { TABLES, type IptablesModel } from '../model/iptables.js';

/**
 * The owned chains and jumps of each table in iptables-save form: for golden files,
 * debugging, and `iptables-restore --noflush` in tests. Built-in chains are not declared,
 * so restoring this text never changes their policies.
 */
export function formatIptablesSave(model: IptablesModel): string {
  const lines: string[] = [];
  for (const table of TABLES) {
    const { chains, jumps } = model[table];
    lines.push(`*${table}`);
    for (const chain of chains) lines.push(`:${chain.name} - [0:0]`);
    for (const jump of jumps) lines.push(`-A ${jump.chain} ${jump.rule}`);
    for (const chain of chains) for (const rule of chain.rules) lines.push(`-A ${chain.name} ${rule}`);
    lines.push('COMMIT');
  }
  return `${lines.join('\n')}\n`;
}
