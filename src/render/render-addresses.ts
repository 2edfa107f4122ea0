import type { Cell } from '../model/desired-state.js';
import type { LayoutConfig } from '../model/facts.js';
import type { AddressSpec } from '../model/network.js';

/** One VIP per service on the caddy interface, with the prefix length of the cell's network (DESIGN §5.5). */
export function renderAddresses(cell: Cell, layout: LayoutConfig): AddressSpec[] {
  const prefixlen = Number(cell.ip_range.slice(cell.ip_range.indexOf('/') + 1));
  const label = `${layout.caddyInterface}:pic`;
  return cell.services.map((service) => ({ address: service.vip, prefixlen, label }));
}
