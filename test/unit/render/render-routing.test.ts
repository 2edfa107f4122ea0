import { describe, expect, it } from 'vitest';
import { fnv1a32 } from '../../../src/model/hash.js';
import { assignRouteTables } from '../../../src/render/render-routing.js';

/** Two names whose hashes land on the same table slot, found by search (birthday bound ≈ 1,200 names). */
function collidingNames(): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const name = `exit-${i}`;
    const slot = fnv1a32(name) % 1_000_000;
    const other = seen.get(slot);
    if (other !== undefined) return [other, name];
    seen.set(slot, name);
  }
}

describe('assignRouteTables', () => {
  it('derives the table from the name alone while there is no collision', () => {
    const one = assignRouteTables(['paris']).get('paris');
    expect(assignRouteTables(['lyon', 'paris']).get('paris')).toBe(one);
    expect(one).toBe(1000 + (fnv1a32('paris') % 1_000_000));
  });

  it('stays clear of the reserved tables 0 and 253-255', () => {
    const tables = [...assignRouteTables(Array.from({ length: 500 }, (_, i) => `link-${i}`)).values()];
    for (const table of tables) expect(table).toBeGreaterThanOrEqual(1000);
  });

  it('probes past a collision, in name order, whatever the input order', () => {
    const [a, b] = collidingNames();
    const [first, second] = [a, b].sort() as [string, string];
    const tables = assignRouteTables([second, first]);
    expect(tables.get(first)).toBe(1000 + (fnv1a32(first) % 1_000_000));
    expect(tables.get(second)).toBe((((fnv1a32(first) % 1_000_000) + 1) % 1_000_000) + 1000);
    expect(assignRouteTables([first, second])).toEqual(tables);
  });
});
