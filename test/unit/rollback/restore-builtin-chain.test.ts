import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileRestoreInput } from '../../../src/apply/restore-input.js';
import { DEFAULT_LAYOUT } from '../../../src/model/facts.js';
import { restoreBuiltinChain } from '../../../src/rollback/restore-builtin-chain.js';

const JUMP = '-m comment --comment pic:jump -j PIC-FORWARD';
const SEED = '-s 10.0.0.3/32 -m comment --comment pic-peer-10-0-0-3/32 -j ACCEPT';
const DOCKER = '-j DOCKER-USER';
const WG = '-i wg0 -j ACCEPT';

const restore = (snapshot: string[], current: string[]) =>
  restoreBuiltinChain('filter', 'FORWARD', snapshot, current, DEFAULT_LAYOUT);

describe('restoreBuiltinChain', () => {
  it('plans nothing when our rules are where the snapshot had them', () => {
    expect(restore([JUMP, DOCKER, WG], [JUMP, DOCKER, WG])).toEqual({ actions: [], unrestorable: null });
  });

  it('puts the seed rules back below a foreign rule and removes our jump, by spec', () => {
    const { actions, unrestorable } = restore([DOCKER, SEED, WG], [JUMP, DOCKER, WG]);
    expect(unrestorable).toBeNull();
    expect(compileRestoreInput(actions)).toBe(`*filter\n-I FORWARD 3 ${SEED}\n-D FORWARD ${JUMP}\nCOMMIT\n`);
  });

  it('moves our jump back below a foreign rule that was above it', () => {
    const { actions } = restore([DOCKER, JUMP, WG], [JUMP, DOCKER, WG]);
    // The new copy goes in first, below DOCKER; the spec delete then takes the first copy, the old one.
    expect(compileRestoreInput(actions)).toBe(`*filter\n-I FORWARD 3 ${JUMP}\n-D FORWARD ${JUMP}\nCOMMIT\n`);
  });

  it('keeps a foreign rule added in the window and never deletes one', () => {
    const { actions } = restore([JUMP, WG], [JUMP, DOCKER, WG, '-j DROP']);
    expect(actions).toEqual([]);
    const moved = restore([SEED, JUMP, WG], [JUMP, DOCKER, WG]);
    expect(
      moved.actions.filter((a) => a.kind === 'delete-rule').map((a) => (a.kind === 'delete-rule' ? a.rule : '')),
    ).toEqual([JUMP]);
  });

  it('reports a chain whose order cannot be restored by spec instead of writing it', () => {
    // Ours must go above a copy of itself that stays later: a spec delete would take the new copy.
    const result = restore([WG, JUMP, DOCKER], [WG, DOCKER, JUMP]);
    expect(result.actions).toEqual([]);
    expect(result.unrestorable).toContain('filter FORWARD');
  });
});

/** Runs the actions as iptables-restore would: the chain's inserts, then deletions by spec (first copy), then inserts at 1. */
function simulate(chain: readonly string[], actions: ReturnType<typeof restore>['actions']): string[] {
  const rules = [...chain];
  for (const a of actions)
    if (a.kind === 'update-chain') for (const e of a.edits) if (e.op === 'insert') rules.splice(e.index - 1, 0, e.rule);
  for (const a of actions) {
    if (a.kind !== 'delete-rule') continue;
    // As iptables -D: a rule that is not there is an error ("Bad rule"), never another rule deleted.
    const at = rules.indexOf(a.rule);
    if (at < 0) throw new Error(`-D ${a.chain} ${a.rule}: Bad rule (does a matching rule exist in that chain?)`);
    rules.splice(at, 1);
  }
  for (const a of actions) if (a.kind === 'insert-jump') rules.unshift(a.rule);
  return rules;
}

describe('restoreBuiltinChain on random chains', () => {
  const rule = fc.constantFrom(JUMP, SEED, DOCKER, WG, '-j DROP');
  const isOurs = (r: string): boolean => r === JUMP || r === SEED;
  it("gives back the snapshot's rules of ours, keeps the current foreign ones, and is exact when no foreign rule changed", () => {
    let planned = 0;
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 7 }), fc.array(rule, { maxLength: 7 }), (snapshot, current) => {
        const result = restore(snapshot, current);
        if (result.unrestorable !== null) {
          expect(result.actions).toEqual([]);
          return;
        }
        if (result.actions.length > 0) planned++;
        const after = simulate(current, result.actions);
        expect(after.filter((r) => !isOurs(r))).toEqual(current.filter((r) => !isOurs(r)));
        // Each of ours after the foreign rule it followed: in the snapshot's order unless the foreign ones were reordered.
        expect(after.filter(isOurs).sort()).toEqual(snapshot.filter(isOurs).sort());
        if (JSON.stringify(snapshot.filter((r) => !isOurs(r))) === JSON.stringify(current.filter((r) => !isOurs(r))))
          expect(after).toEqual(snapshot);
      }),
      { seed: 20261202, numRuns: 2000 },
    );
    // Most random pairs need edits that can be made by spec: the property is not vacuous.
    expect(planned).toBeGreaterThan(1000);
  });
});
