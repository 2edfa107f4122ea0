import { describe, expect, it } from 'vitest';
import { compileRestoreInput } from '../../../src/apply/restore-input.js';
import { DEFAULT_LAYOUT } from '../../../src/model/facts.js';
import { restoreBuiltinChain } from '../../../src/rollback/restore-builtin-chain.js';

const JUMP = '-m comment --comment pic:jump -j PIC-FORWARD';
const SEED = '-s 10.0.0.3/32 -m comment --comment pic-peer-10-0-0-3/32 -j ACCEPT';
const DOCKER = '-j DOCKER-USER';
const WG = '-i wg0 -j ACCEPT';

const restore = (snapshot: string[], current: string[]) => restoreBuiltinChain('filter', 'FORWARD', snapshot, current, DEFAULT_LAYOUT);

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
    expect(moved.actions.filter((a) => a.kind === 'delete-rule').map((a) => (a.kind === 'delete-rule' ? a.rule : ''))).toEqual([JUMP]);
  });

  it('reports a chain whose order cannot be restored by spec instead of writing it', () => {
    // Ours must go above a copy of itself that stays later: a spec delete would take the new copy.
    const result = restore([WG, JUMP, DOCKER], [WG, DOCKER, JUMP]);
    expect(result.actions).toEqual([]);
    expect(result.unrestorable).toContain('filter FORWARD');
  });
});
