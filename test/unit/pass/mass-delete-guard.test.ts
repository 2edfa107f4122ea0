import { describe, expect, it } from 'vitest';
import { massDeleteGuard } from '../../../src/pass/mass-delete-guard.js';
import { buildState, EXAMPLE_STATE } from '../../helpers/build-state.js';
import { planBetween } from '../loop/live-cell.js';

const peers = (n: number, offset = 2) =>
  Array.from({ length: n }, (_, i) => ({ name: `p${i}`, ip: `10.0.0.${offset + i}` }));
const cell = EXAMPLE_STATE.cell;

describe('mass-delete guard', () => {
  it('holds back a plan that removes every peer', () => {
    const { plan, observed } = planBetween(buildState({ cell, peers: peers(3) }), buildState({ cell }));
    expect(massDeleteGuard(plan, observed, 1)).toMatch(/removes every peer \(3\).*--allow-mass-delete/);
  });

  it('holds back a plan that removes more than the share of managed rules', () => {
    const { plan, observed } = planBetween(
      buildState({ cell, peers: peers(10) }),
      buildState({ cell, peers: peers(4) }),
    );
    const reason = massDeleteGuard(plan, observed, 0.5);
    expect(reason).toMatch(/removes \d+ of \d+ managed rules \(more than 50%\)/);
    // The same plan passes with a higher share.
    expect(massDeleteGuard(plan, observed, 0.9)).toBeNull();
  });

  it('lets ordinary changes through: one peer removed, peers edited, peers added, a fresh cell', () => {
    const ten = buildState({ cell, peers: peers(10) });
    const nine = buildState({ cell, peers: peers(9) });
    const edited = buildState({
      cell,
      peers: peers(10).map((p) => ({ ...p, internet_access: false, service_access: [] })),
    });
    for (const [from, to] of [
      [ten, nine],
      [ten, edited],
      [nine, ten],
      [buildState({ cell }), ten],
    ] as const) {
      const { plan, observed } = planBetween(from, to);
      expect(plan.actions.length).toBeGreaterThan(0);
      expect(massDeleteGuard(plan, observed, 0.5)).toBeNull();
    }
  });

  it('does not mistake a re-addressed cell (every peer chain replaced) for a mass delete', () => {
    const { plan, observed } = planBetween(
      buildState({ cell, peers: peers(3) }),
      buildState({ cell, peers: peers(3, 100) }),
    );
    expect(plan.actions.some((a) => a.kind === 'delete-chain')).toBe(true);
    expect(massDeleteGuard(plan, observed, 1)).toBeNull();
  });

  it('says nothing when the live firewall could not be read', () => {
    const { plan, observed } = planBetween(buildState({ cell, peers: peers(3) }), buildState({ cell }));
    expect(massDeleteGuard(plan, { ...observed, iptables: { ok: false, error: 'unreachable' } }, 0.5)).toBeNull();
  });
});
