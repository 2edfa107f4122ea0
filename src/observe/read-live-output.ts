/**
 * The commands that read each live part, and their output → observations. Observe runs them
 * on their own; apply appends them to its writes (the same process reads back what it wrote,
 * so verify costs no further exec).
 */
import type { ObservedAddress, ObservedPolicyRule, ObservedRoute } from '../model/network.js';
import type { ObservedIptables } from '../model/iptables.js';
import type { Observation } from '../model/observed-cell.js';
import { parseIpAddr, parseIpRoutes, parseIpRules } from '../parse/parse-ip-json.js';
import { parseIptablesSave } from '../parse/parse-iptables-save.js';

/** `ip -4 -j -batch -` lines that print policy rules and routes, one JSON document each. */
export const ROUTING_SHOW = 'rule show\nroute show table all\n';

/** `ip -j -batch -` line that prints the addresses of `dev` as one JSON document. */
export function addressShow(dev: string): string {
  return `address show dev ${dev}\n`;
}

export interface RoutingObservation {
  readonly policyRules: Observation<readonly ObservedPolicyRule[]>;
  readonly routes: Observation<readonly ObservedRoute[]>;
}

/** JSON documents printed by an `ip -j -batch`, one per line; write commands print none. */
function jsonDocuments(output: string): string[] {
  return output.split('\n').filter((line) => line.trim() !== '');
}

/** One backend's iptables-save output as an observation (the rollback snapshot keeps it raw). */
export function parseIptablesOutput(locator: string, output: string): Observation<ObservedIptables> {
  const parsed = parseIptablesSave(output);
  return parsed.ok
    ? { ok: true, value: parsed.value }
    : { ok: false, error: `${locator}: iptables-save: ${parsed.error}` };
}

export function parseRoutingOutput(locator: string, output: string): RoutingObservation {
  const [rulesJson = '', routesJson = ''] = jsonDocuments(output);
  const rules = parseIpRules(rulesJson);
  const routes = parseIpRoutes(routesJson);
  return {
    policyRules: rules.ok ? rules : { ok: false, error: `${locator}: ip rule: ${rules.error}` },
    routes: routes.ok ? routes : { ok: false, error: `${locator}: ip route: ${routes.error}` },
  };
}

export function parseAddressOutput(
  locator: string,
  output: string,
  dev: string,
): Observation<readonly ObservedAddress[]> {
  const parsed = parseIpAddr(jsonDocuments(output).join('\n'), dev);
  return parsed.ok ? parsed : { ok: false, error: `${locator}: ip addr: ${parsed.error}` };
}
