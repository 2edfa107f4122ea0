import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ObservedChain, ObservedIptables, ObservedRule, ObservedTable } from '../../../src/model/iptables.js';
import { TABLES } from '../../../src/model/iptables.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/observe/', import.meta.url));

export function readFixture(name: string): string {
  return readFileSync(`${FIXTURES}${name}`, 'utf8');
}

/** A table as plain arrays, so toEqual compares chain order too. */
export function chainList(table: ObservedTable): ObservedChain[] {
  return [...table.chains.values()];
}

export function rulesOf(table: ObservedTable, chain: string): readonly ObservedRule[] | undefined {
  return table.chains.get(chain)?.rules;
}

/** Writes an observed model back as iptables-save text (rules are canonical, so this is canonical text). */
export function toSaveText(model: ObservedIptables): string {
  const lines: string[] = [];
  for (const table of TABLES) {
    lines.push(`*${table}`);
    for (const chain of model[table].chains.values()) lines.push(`:${chain.name} ${chain.policy ?? '-'} [0:0]`);
    for (const chain of model[table].chains.values()) {
      for (const rule of chain.rules) {
        const text = typeof rule === 'string' ? rule : rule.text;
        lines.push(text === '' ? `-A ${chain.name}` : `-A ${chain.name} ${text}`);
      }
    }
    lines.push('COMMIT');
  }
  return `${lines.join('\n')}\n`;
}
