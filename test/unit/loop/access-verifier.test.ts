import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assumedApiAddress } from '../../../src/access/evaluate-access-tests.js';
import { AccessVerifier } from '../../../src/loop/access-verifier.js';
import type { DesiredState } from '../../../src/model/desired-state.js';
import { DEFAULT_LAYOUT } from '../../../src/model/facts.js';
import { parseIptablesSave } from '../../../src/parse/parse-iptables-save.js';
import { formatIptablesSave } from '../../../src/render/format-iptables-save.js';
import { renderCell } from '../../../src/render/render-cell.js';
import { arbitraryState } from '../../helpers/arbitrary-state.js';

const state = fc.sample(
  arbitraryState.filter((s) => s.peers.length > 0 && s.cell.services.length > 0),
  { numRuns: 1, seed: 11 },
)[0] as DesiredState;

function observed(foreign: string | null) {
  const text = formatIptablesSave(renderCell(state, { apiIp: assumedApiAddress(state) }, DEFAULT_LAYOUT).iptables);
  const parsed = parseIptablesSave(
    foreign === null ? text : text.replace(/^\*filter\n/m, `*filter\n-A FORWARD ${foreign}\n`),
  );
  if (!parsed.ok) throw new Error(parsed.error);
  return { iptables: { ok: true as const, value: parsed.value } };
}

const converged = { converged: true, apply: null };

describe('AccessVerifier', () => {
  it('judges again only when what it depends on changed, and not at all after a pass that did not converge', () => {
    const verifier = new AccessVerifier(DEFAULT_LAYOUT);
    const facts = { apiIp: null };
    expect(verifier.check(state, facts, { converged: false, apply: null }, observed('-j DROP'))).toBeNull();
    const first = verifier.check(state, facts, converged, observed('-j DROP'));
    expect(first?.check.diverged.length).toBeGreaterThan(0);
    // The same live rules, read anew by the next pass: the same report, not a second evaluation.
    expect(verifier.check(state, facts, converged, observed('-j DROP'))).toBe(first);
    const cleared = verifier.check(state, facts, converged, observed(null));
    expect(cleared).not.toBe(first);
    expect(cleared?.check.diverged).toEqual([]);
  });
});
