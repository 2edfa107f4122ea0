import { cidrContains, parseCidr, parseIPv4 } from '../model/ipv4.js';
import { NAME_PATTERN } from '../load/schemas.js';
import { finding, type Finding } from './import-finding.js';
import type { ImportedLink } from './imported-state.js';
import type { SeedLink } from './read-seed-owner.js';
import type { SeedCorefile } from './read-seed-corefile.js';

/** A link's name: the seed's tag name (already [a-z0-9-]) made valid and unique. */
export function linkNames(tagNames: readonly string[]): Map<string, string> {
  const names = new Map<string, string>();
  const used = new Set<string>();
  for (const tag of tagNames) {
    const base =
      tag
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, '-')
        .replace(/^-+/, '')
        .slice(0, 32) || 'cell';
    let name = base;
    for (let n = 2; used.has(name) || !NAME_PATTERN.test(name); n++)
      name = `${base.slice(0, 32 - String(n).length - 1)}-${n}`;
    used.add(name);
    names.set(tag, name);
  }
  return names;
}

/** The Corefile's forwarding block for a link: its DNS server in the link's subnet, else its zone named after it. */
export function linkDns(
  name: string,
  vpnSubnet: string | null,
  corefile: SeedCorefile | null,
): { domain: string; dnsIp: string } | null {
  const forwards = corefile?.forwards ?? [];
  const subnet = vpnSubnet === null ? null : parseCidr(vpnSubnet);
  const inSubnet = forwards.find((f) => subnet !== null && cidrContains(subnet, parseIPv4(f.dnsIp) ?? -1));
  const forward = inSubnet ?? forwards.find((f) => f.domain.split('.')[0] === name);
  return forward === undefined ? null : { domain: forward.domain, dnsIp: forward.dnsIp };
}

export interface LinkContext {
  readonly name: string;
  readonly services: ReadonlyMap<string, string>;
  readonly dns: { domain: string; dnsIp: string } | null;
  readonly wgIp: string | null;
  /** True when some peer routes via this link. */
  readonly isExit: boolean;
}

/** A CellLink file from one cell's seed rules; null when the rules name no source subnet. */
export function inferLink(seed: SeedLink, context: LinkContext): { link: ImportedLink | null; findings: Finding[] } {
  const subject = `cells/${context.name}.json`;
  const findings: Finding[] = [];
  if (seed.vpnSubnet === null) {
    findings.push(
      finding('could not', subject, `rules tagged pic-cell-${seed.tagName} name no source subnet: not imported`),
    );
    return { link: null, findings };
  }
  const verdicts = new Map(seed.vips.map((v) => [v.vip, v.allowed]));
  const inbound: Record<string, boolean> = {};
  for (const [vip, service] of context.services) {
    const verdict = verdicts.get(vip);
    if (verdict === undefined)
      findings.push(finding('could not', subject, `no rule for service ${service} (${vip}): written as not allowed`));
    inbound[service] = verdict === true;
  }
  if (context.name !== seed.tagName)
    findings.push(
      finding('could not', subject, `tag name "${seed.tagName}" is no valid name: renamed "${context.name}"`),
    );
  if (context.dns === null)
    findings.push(finding('could not', subject, 'no forwarding block in the Corefile: domain and dns_ip left out'));
  if (context.wgIp === null) {
    const why = context.isExit ? 'the exit route names no gateway' : 'no peer routes via it';
    findings.push(
      finding('could not', subject, `wg_ip unknown (${why}): set it before routing a peer via ${context.name}`),
    );
  }
  if (!seed.catchAllDrop)
    findings.push(
      finding('changed', subject, 'the seed wrote no final DROP for this cell; the new chain ends in DROP'),
    );
  for (const rule of seed.stray)
    findings.push(finding('could not', subject, `rule in none of the seed's shapes, not imported: ${rule}`));
  const allowed = Object.entries(inbound)
    .filter(([, v]) => v)
    .map(([k]) => k);
  findings.unshift(
    finding(
      'inferred',
      subject,
      `${seed.vpnSubnet} from ${seed.ruleCount} rules tagged pic-cell-${seed.tagName}: inbound [${allowed.join(' ')}], exit relay ${seed.exitRelay ? 'yes' : 'no'}` +
        (context.dns === null ? '' : `, DNS ${context.dns.domain} via ${context.dns.dnsIp}`) +
        (context.wgIp === null ? '' : `, wg_ip ${context.wgIp} from the exit route`),
    ),
  );
  const link: ImportedLink = {
    kind: 'CellLink',
    name: context.name,
    vpn_subnet: seed.vpnSubnet,
    ...(context.dns === null ? {} : { domain: context.dns.domain, dns_ip: context.dns.dnsIp }),
    ...(context.wgIp === null ? {} : { wg_ip: context.wgIp }),
    permissions: { inbound },
    remote_exit_relay_active: seed.exitRelay,
  };
  return { link, findings };
}
