import { cidrContains, parseCidr, parseIPv4 } from '../model/ipv4.js';
import { OWNED_ROUTE_PROTOCOL, type ObservedPolicyRule, type ObservedRoute } from '../model/network.js';
import type { Observation } from '../model/observed-cell.js';
import { finding, type Finding } from './import-finding.js';

/** A linked cell as far as routing needs it. */
export interface RouteLink {
  readonly name: string;
  readonly vpnSubnet: string | null;
  readonly dnsIp: string | null;
}

export interface InferredRouting {
  /** Peer IP → the link its internet traffic leaves through. */
  readonly routeVia: ReadonlyMap<string, string>;
  /** Link name → its WireGuard address, read from the gateway of the exit route. */
  readonly wgIp: ReadonlyMap<string, string>;
  readonly findings: readonly Finding[];
}

/** Tables no exit route lives in. */
const SYSTEM_TABLES: ReadonlySet<string> = new Set(['main', '253', '254', '255', '0']);

/**
 * route_via from the policy routing the seed's Phase 3 adds in the wireguard namespace:
 * `ip rule add from <peer ip> lookup <table>` and `ip route add default via <wg_ip> dev wg0
 * table <table>`. The seed's registry has no wg_ip; the gateway is the exit cell's
 * WireGuard address, so the link is the one whose vpn_subnet holds it (or whose DNS
 * server it is).
 */
export function inferRouteVia(
  peerIps: readonly string[],
  policyRules: Observation<readonly ObservedPolicyRule[]>,
  routes: Observation<readonly ObservedRoute[]>,
  links: readonly RouteLink[],
): InferredRouting {
  const findings: Finding[] = [];
  const routeVia = new Map<string, string>();
  const wgIp = new Map<string, string>();
  if (!policyRules.ok || !routes.ok) {
    const error = policyRules.ok ? (routes.ok ? '' : routes.error) : policyRules.error;
    findings.push(finding('could not', 'peers', `read the policy routing (${error}): no peer routes via an exit cell`));
    return { routeVia, wgIp, findings };
  }
  const peers = new Set(peerIps);
  const ordered = [...policyRules.value].sort((a, b) => a.priority - b.priority);
  for (const rule of ordered) {
    if (
      !peers.has(rule.src) ||
      routeVia.has(rule.src) ||
      SYSTEM_TABLES.has(rule.table) ||
      rule.suppressPrefixlength !== null
    )
      continue;
    const subject = `peer ${rule.src}`;
    const gateway = routes.value.find(
      (r) => r.table === rule.table && r.dst === 'default' && r.gateway !== '',
    )?.gateway;
    if (gateway === undefined) {
      findings.push(
        finding(
          'could not',
          subject,
          `rule "from ${rule.src} lookup ${rule.table}" but table ${rule.table} has no default route: route_via left out`,
        ),
      );
      continue;
    }
    const link = linkFor(gateway, links);
    if (link === undefined) {
      findings.push(
        finding(
          'could not',
          subject,
          `routes via ${gateway} (table ${rule.table}), which is no linked cell's: route_via left out`,
        ),
      );
      continue;
    }
    const known = wgIp.get(link.name);
    if (known !== undefined && known !== gateway) {
      findings.push(
        finding(
          'could not',
          subject,
          `routes via ${gateway}, but other peers reach ${link.name} via ${known}: route_via left out`,
        ),
      );
      continue;
    }
    wgIp.set(link.name, gateway);
    routeVia.set(rule.src, link.name);
    if (rule.protocol !== OWNED_ROUTE_PROTOCOL) {
      findings.push(
        finding(
          'changed',
          subject,
          `the seed's rule "from ${rule.src} lookup ${rule.table}" and its exit route are replaced by the controller's own on the first apply (main table consulted first, §5.7)`,
        ),
      );
    }
  }
  return { routeVia, wgIp, findings };
}

function linkFor(gateway: string, links: readonly RouteLink[]): RouteLink | undefined {
  const address = parseIPv4(gateway);
  if (address === null) return undefined;
  return (
    links.find((l) => {
      const subnet = l.vpnSubnet === null ? null : parseCidr(l.vpnSubnet);
      return subnet !== null && cidrContains(subnet, address);
    }) ?? links.find((l) => l.dnsIp === gateway)
  );
}
