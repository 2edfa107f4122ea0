import type { Facts, LayoutConfig } from '../model/facts.js';
import { JUMP_COMMENT, type TableModel } from '../model/iptables.js';
import { buildRule, dport, host } from './build-rule.js';
import { API_DNAT_TAG, API_MASQUERADE_TAG, POSTROUTING_CHAIN, PREROUTING_CHAIN } from '../model/chain-names.js';

/**
 * The nat table: linked cells push permission syncs to <our wg address>:<api port>;
 * DNAT sends them to the api container and MASQUERADE makes the replies come back
 * through us. `--dst-type LOCAL` keeps the DNAT to traffic addressed to this cell, so a
 * peer's connection to port 3000 elsewhere is not hijacked (DESIGN §5.2).
 * Without the api's address both chains stay empty, but exist, so the jumps stay valid.
 */
export function renderNat(facts: Facts, layout: LayoutConfig): TableModel {
  const { apiIp } = facts;
  const port = layout.apiPort;
  const prerouting =
    apiIp === null
      ? []
      : [
          buildRule({
            in: layout.wireguardInterface,
            proto: 'tcp',
            matches: [{ module: 'addrtype', args: ['--dst-type', 'LOCAL'] }, dport('tcp', port)],
            comment: API_DNAT_TAG,
            target: 'DNAT',
            targetArgs: ['--to-destination', `${apiIp}:${port}`],
          }),
        ];
  const postrouting =
    apiIp === null
      ? []
      : [
          buildRule({
            dst: host(apiIp),
            out: layout.egressInterface,
            proto: 'tcp',
            matches: [dport('tcp', port)],
            comment: API_MASQUERADE_TAG,
            target: 'MASQUERADE',
          }),
        ];
  return {
    chains: [
      { name: PREROUTING_CHAIN, rules: prerouting },
      { name: POSTROUTING_CHAIN, rules: postrouting },
    ],
    jumps: [
      { chain: 'PREROUTING', rule: buildRule({ comment: JUMP_COMMENT, target: PREROUTING_CHAIN }) },
      { chain: 'POSTROUTING', rule: buildRule({ comment: JUMP_COMMENT, target: POSTROUTING_CHAIN }) },
    ],
  };
}
