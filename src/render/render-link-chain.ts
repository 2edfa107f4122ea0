import type { Cell, CellLink } from '../model/desired-state.js';
import type { Facts, LayoutConfig } from '../model/facts.js';
import type { ChainModel } from '../model/iptables.js';
import { buildRule, dport, host } from './build-rule.js';
import { cellChainName, cellTag } from '../model/chain-names.js';

/**
 * PIC-CELL-<id>: what a linked cell's subnet may reach. Like the peer chains, the rules
 * do not repeat `-s <vpn_subnet>`: PIC-FORWARD's jump already matched it.
 * The api rule admits the permission-sync pushes that the nat table DNATs to the api;
 * it is left out while the api's address is unknown.
 */
export function renderLinkChain(cell: Cell, link: CellLink, facts: Facts, layout: LayoutConfig): ChainModel {
  const comment = cellTag(link.name);
  const rules: string[] = [];
  if (facts.apiIp !== null) {
    rules.push(
      buildRule({
        dst: host(facts.apiIp),
        proto: 'tcp',
        matches: [dport('tcp', layout.apiPort)],
        comment,
        target: 'ACCEPT',
      }),
    );
  }
  for (const service of cell.services) {
    const allowed = link.permissions.inbound[service.name] === true;
    rules.push(buildRule({ dst: host(service.vip), comment, target: allowed ? 'ACCEPT' : 'DROP' }));
  }
  if (link.remote_exit_relay_active) {
    rules.push(buildRule({ out: layout.egressInterface, comment, target: 'ACCEPT' }));
  }
  rules.push(buildRule({ comment, target: 'DROP' }));
  return { name: cellChainName(link.name), rules };
}
