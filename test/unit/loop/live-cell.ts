import { DEFAULT_LAYOUT } from '../../../src/model/facts.js';
import type { DesiredState } from '../../../src/model/desired-state.js';
import { OWNED_ROUTE_PROTOCOL } from '../../../src/model/network.js';
import type { ObservedCell } from '../../../src/model/observed-cell.js';
import type { Plan } from '../../../src/model/plan.js';
import type { RenderedCell } from '../../../src/model/rendered-cell.js';
import { parseIptablesSave } from '../../../src/parse/parse-iptables-save.js';
import { planCell } from '../../../src/plan/plan-cell.js';
import { formatIptablesSave } from '../../../src/render/format-iptables-save.js';
import { renderCell } from '../../../src/render/render-cell.js';

export const FACTS = { apiIp: '172.20.0.3' } as const;

export function render(state: DesiredState): RenderedCell {
  return renderCell(state, FACTS, DEFAULT_LAYOUT);
}

/** The cell as it would be observed once `rendered` has been applied (as the live iptables parser sees it). */
export function liveCell(rendered: RenderedCell): ObservedCell {
  const parsed = parseIptablesSave(formatIptablesSave(rendered.iptables));
  if (!parsed.ok) throw new Error(parsed.error);
  return {
    iptables: { ok: true, value: parsed.value },
    policyRules: { ok: true, value: rendered.policyRules.map((r) => ({ ...r, protocol: OWNED_ROUTE_PROTOCOL })) },
    routes: { ok: true, value: rendered.routes.map((r) => ({ ...r, protocol: OWNED_ROUTE_PROTOCOL })) },
    addresses: { ok: true, value: rendered.addresses },
    corefile: { ok: true, value: rendered.corefile },
  };
}

/** The plan from the live `from` state to the state `to`. */
export function planBetween(from: DesiredState, to: DesiredState): { plan: Plan; observed: ObservedCell } {
  const observed = liveCell(render(from));
  return { plan: planCell(render(to), observed, DEFAULT_LAYOUT), observed };
}
