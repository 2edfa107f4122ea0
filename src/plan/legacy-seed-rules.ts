import type { LayoutConfig } from '../model/facts.js';
import type { TableName } from '../model/iptables.js';
import { ruleComment } from '../model/iptables-rule.js';
import { parseIPv4 } from '../model/ipv4.js';

/**
 * Rules the seed (firewall_manager.py) left in built-in chains, which the first
 * reconcile removes in the same transaction that installs our chains (DESIGN §4).
 *
 * Recognised by the seed's comment tags in FORWARD, or by the exact shape
 * `iptables-save` prints for its three untagged port-3000 rules. Anything else in a
 * built-in chain is not ours and is never touched.
 */

const SEED_TAG = /^pic-(peer|cell)-/;

/** Why a rule in a built-in chain is a leftover of the seed, or null when it is not. */
export function legacySeedRuleReason(
  table: TableName,
  chain: string,
  rule: string,
  layout: LayoutConfig,
): string | null {
  const shapes = seedShapes(layout);
  if (table === 'filter' && chain === 'FORWARD') {
    const tag = ruleComment(rule);
    if (tag !== null && SEED_TAG.test(tag)) return `legacy seed rule (tag ${tag})`;
    if (rule === shapes.forward) return `legacy seed rule (port ${layout.apiPort} hole above every peer rule)`;
  }
  if (table === 'nat' && chain === 'PREROUTING') {
    const m = shapes.dnat.exec(rule);
    if (m && parseIPv4(m[1] as string) !== null) return `legacy seed rule (api DNAT without destination match)`;
  }
  if (table === 'nat' && chain === 'POSTROUTING') {
    const m = shapes.masquerade.exec(rule);
    if (m && parseIPv4(m[1] as string) !== null) return `legacy seed rule (untagged api MASQUERADE)`;
  }
  return null;
}

function seedShapes(layout: LayoutConfig): { forward: string; dnat: RegExp; masquerade: RegExp } {
  const wg = layout.wireguardInterface;
  const egress = layout.egressInterface;
  const port = String(layout.apiPort);
  const ip = '([0-9.]+)';
  return {
    forward: `-i ${wg} -o ${egress} -p tcp -m tcp --dport ${port} -j ACCEPT`,
    dnat: new RegExp(`^-i ${esc(wg)} -p tcp -m tcp --dport ${port} -j DNAT --to-destination ${ip}:${port}$`),
    masquerade: new RegExp(`^-d ${ip}/32 -o ${esc(egress)} -p tcp -m tcp --dport ${port} -j MASQUERADE$`),
  };
}

function esc(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
