import type { DesiredState } from '../model/desired-state.js';
import type { Facts, LayoutConfig } from '../model/facts.js';
import type { RenderedCell } from '../model/rendered-cell.js';
import { renderAddresses } from './render-addresses.js';
import { renderCorefile } from './render-corefile.js';
import { renderFilter } from './render-filter.js';
import { renderNat } from './render-nat.js';
import { renderRouting } from './render-routing.js';

/** Everything the desired state implies for the live cell. Pure: same input, same output. */
export function renderCell(state: DesiredState, facts: Facts, layout: LayoutConfig): RenderedCell {
  const { policyRules, routes } = renderRouting(state, layout);
  return {
    iptables: { filter: renderFilter(state, facts, layout), nat: renderNat(facts, layout) },
    policyRules,
    routes,
    peerSubnet: state.cell.peer_subnet,
    addresses: renderAddresses(state.cell, layout),
    corefile: renderCorefile(state),
  };
}
