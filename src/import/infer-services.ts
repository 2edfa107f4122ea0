import type { ObservedAddress } from '../model/network.js';
import type { Observation } from '../model/observed-cell.js';
import { cidrContains, compareIPv4Text, formatCidr, parseCidr, parseIPv4, type Cidr } from '../model/ipv4.js';
import { FIRST_VIP_OFFSET } from '../load/resolve-cell.js';
import { DEFAULT_SERVICES, NAME_PATTERN } from '../load/schemas.js';
import { finding, type Finding } from './import-finding.js';
import type { SeedPeer } from './read-seed-owner.js';

/** A service as a Cell file lists it: a bare name when its VIP is the positional default. */
export type ServiceEntry = string | { readonly name: string; readonly vip: string };

export interface InferredServices {
  readonly ipRange: string;
  readonly entries: readonly ServiceEntry[];
  /** VIP → service name. */
  readonly names: ReadonlyMap<string, string>;
  readonly findings: readonly Finding[];
}

export interface ServiceEvidence {
  /** The VIP lists of the tagged rules, each in rule order (the seed's SERVICE_IPS order). */
  readonly vipLists: readonly (readonly string[])[];
  readonly peers: readonly SeedPeer[];
  readonly addresses: Observation<readonly ObservedAddress[]>;
  readonly caddyInterface: string;
  /** From the Corefile's acls: service name → blocked peer IPs. */
  readonly blocked: ReadonlyMap<string, ReadonlySet<string>>;
}

const SUBJECT = 'cell.json';
/** The seed hard-codes /16 for its VIPs (DESIGN §5.5). */
const SEED_PREFIX = 16;
const SEED_DEFAULT_RANGE = '172.20.0.0/16';

/**
 * The cell's services and ip_range. VIPs come from the tagged rules (in the order the seed
 * wrote them) and from caddy's interface; ip_range from the prefix the VIPs carry there.
 * Names: the seed's defaults when a VIP sits where the seed puts the i-th service
 * (network + 21 + i), else the Corefile acl whose blocked peers are exactly the peers the
 * rules drop for that VIP, else a placeholder the user should rename.
 */
export function inferServices(evidence: ServiceEvidence): InferredServices {
  const findings: Finding[] = [];
  const vips = mergeInOrder(evidence.vipLists);
  const addresses = evidence.addresses.ok ? evidence.addresses.value : null;
  if (!evidence.addresses.ok)
    findings.push(finding('could not', SUBJECT, `read caddy's addresses (${evidence.addresses.error})`));
  const range = inferRange(vips, addresses, evidence.caddyInterface, findings);

  const extra = (addresses ?? [])
    .filter((a) => !vips.includes(a.address) && isVipCandidate(a, range, evidence.caddyInterface))
    .map((a) => a.address)
    .sort(compareIPv4Text);
  for (const vip of extra)
    findings.push(finding('inferred', SUBJECT, `VIP ${vip} from caddy's ${evidence.caddyInterface} (no rule uses it)`));
  const all = [...vips, ...extra];
  if (addresses !== null) {
    const live = new Set(addresses.map((a) => a.address));
    const missing = vips.filter((v) => !live.has(v));
    if (missing.length > 0)
      findings.push(
        finding(
          'could not',
          SUBJECT,
          `find VIP ${missing.join(' ')} on caddy's ${evidence.caddyInterface}: apply will add ${missing.length === 1 ? 'it' : 'them'}`,
        ),
      );
  }

  const names = new Map<string, string>();
  const entries: ServiceEntry[] = [];
  const defaults: string[] = [];
  all.forEach((vip, i) => {
    const positional = parseIPv4(vip) === range.network + FIRST_VIP_OFFSET + i;
    const name = nameOf(vip, positional ? DEFAULT_SERVICES[i] : undefined, evidence, names, findings);
    names.set(vip, name);
    entries.push(positional ? name : { name, vip });
    if (positional && name === DEFAULT_SERVICES[i]) defaults.push(`${name} ${vip}`);
  });
  if (defaults.length > 0)
    findings.unshift(finding('inferred', SUBJECT, `services ${defaults.join(', ')}: the seed's names for its VIPs`));
  return { ipRange: formatCidr(range), entries, names, findings };
}

function mergeInOrder(lists: readonly (readonly string[])[]): string[] {
  const out: string[] = [];
  for (const list of lists) for (const vip of list) if (!out.includes(vip)) out.push(vip);
  return out;
}

function inferRange(
  vips: readonly string[],
  addresses: readonly ObservedAddress[] | null,
  dev: string,
  findings: Finding[],
): Cidr {
  const onCaddy = addresses?.find((a) => vips.includes(a.address)) ?? addresses?.find((a) => a.label === `${dev}:pic`);
  if (onCaddy !== undefined) {
    const range = parseCidr(`${onCaddy.address}/${onCaddy.prefixlen}`, false) as Cidr;
    findings.push(
      finding(
        'inferred',
        SUBJECT,
        `ip_range ${formatCidr(range)} from VIP ${onCaddy.address}/${onCaddy.prefixlen} on caddy's ${dev}`,
      ),
    );
    return range;
  }
  const first = vips[0];
  if (first !== undefined) {
    const range = parseCidr(`${first}/${SEED_PREFIX}`, false) as Cidr;
    findings.push(
      finding(
        'could not',
        SUBJECT,
        `find the VIPs on caddy's ${dev}: ip_range ${formatCidr(range)} assumes the seed's /${SEED_PREFIX}`,
      ),
    );
    return range;
  }
  findings.push(finding('could not', SUBJECT, `find any VIP: ip_range is the default ${SEED_DEFAULT_RANGE}`));
  return parseCidr(SEED_DEFAULT_RANGE) as Cidr;
}

/** Caddy's own address is on the same interface: only the seed's default VIPs and our labelled ones count. */
function isVipCandidate(address: ObservedAddress, range: Cidr, dev: string): boolean {
  const value = parseIPv4(address.address);
  if (value === null || address.prefixlen !== range.prefixlen || !cidrContains(range, value)) return false;
  const offset = value - range.network - FIRST_VIP_OFFSET;
  return address.label === `${dev}:pic` || (offset >= 0 && offset < DEFAULT_SERVICES.length);
}

function nameOf(
  vip: string,
  positional: string | undefined,
  evidence: ServiceEvidence,
  used: ReadonlyMap<string, string>,
  findings: Finding[],
): string {
  const taken = new Set(used.values());
  if (positional !== undefined && !taken.has(positional)) return positional;
  const dropped = new Set(
    evidence.peers.filter((p) => p.vips.some((v) => v.vip === vip && !v.allowed)).map((p) => p.ip),
  );
  const matches = [...evidence.blocked].filter(
    ([name, ips]) =>
      NAME_PATTERN.test(name) &&
      !taken.has(name) &&
      ips.size > 0 &&
      ips.size === dropped.size &&
      [...ips].every((ip) => dropped.has(ip)),
  );
  const only = matches.length === 1 ? matches[0] : undefined;
  if (only !== undefined) {
    findings.push(
      finding(
        'inferred',
        SUBJECT,
        `service "${only[0]}" for VIP ${vip}: the Corefile's acl blocks the same peers the rules drop`,
      ),
    );
    return only[0];
  }
  const placeholder = `service-${vip.replaceAll('.', '-')}`;
  findings.push(
    finding(
      'could not',
      SUBJECT,
      `name the service of VIP ${vip}: called it "${placeholder}" (rename it here and in the peers' service_access)`,
    ),
  );
  return placeholder;
}
