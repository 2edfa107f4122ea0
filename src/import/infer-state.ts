import type { LayoutConfig } from '../model/facts.js';
import { compareIPv4Text } from '../model/ipv4.js';
import type { ObservedCell } from '../model/observed-cell.js';
import { DOMAIN_PATTERN, NAME_PATTERN } from '../load/schemas.js';
import { finding, type Finding } from './import-finding.js';
import type { ImportedCell, ImportedLink, ImportedPeer, ImportedState } from './imported-state.js';
import { inferLink, linkDns, linkNames } from './infer-links.js';
import { inferPeer } from './infer-peers.js';
import { inferRouteVia } from './infer-route-via.js';
import { inferServices } from './infer-services.js';
import { readSeedCorefile, type SeedCorefile } from './read-seed-corefile.js';
import { readSeedLink, readSeedPeer, type SeedPeer } from './read-seed-owner.js';
import { readSeedRules, type SeedRules } from './read-seed-rules.js';

export type ImportResult =
  | { readonly ok: true; readonly state: ImportedState; readonly findings: readonly Finding[] }
  | { readonly ok: false; readonly error: string; readonly findings: readonly Finding[] };

/** The seed's hard-coded values, used when the live cell does not say (DESIGN §5.5). */
const SEED_PEER_SUBNET = '10.0.0.0/24';
const SEED_UPSTREAM = ['8.8.8.8', '1.1.1.1'];
const SEED_DOMAIN = 'cell';

/**
 * The desired state that reproduces a live cell managed by the seed (firewall_manager.py):
 * its tagged FORWARD rules give the peers and linked cells, caddy's addresses the VIPs and
 * ip_range, the Corefile the domain, upstream DNS and the links' DNS forwarding, the
 * policy routing each peer's exit cell. Pure and deterministic: the same live cell gives
 * the same state and the same findings. Fails only when there is nothing of the seed's.
 */
export function inferState(observed: ObservedCell, layout: LayoutConfig): ImportResult {
  if (!observed.iptables.ok)
    return { ok: false, error: `cannot read iptables: ${observed.iptables.error}`, findings: [] };
  const rules = readSeedRules(observed.iptables.value, layout);
  const findings: Finding[] = [];
  if (rules.ownedChains.length > 0) {
    findings.push(
      finding(
        'could not',
        'live cell',
        `import the controller's own chains (${rules.ownedChains.join(' ')}): the cell is managed already, and import reads only the seed's rules`,
      ),
    );
  }
  if (rules.peers.size === 0 && rules.cells.size === 0) {
    return {
      ok: false,
      error: 'FORWARD holds no rule of the seed (no pic-peer-* or pic-cell-* tag): nothing to import',
      findings,
    };
  }
  const corefile = readCorefileFacts(observed, findings);

  const seedPeers = [...rules.peers].sort(([a], [b]) => compareIPv4Text(a, b)).map(([ip, r]) => readSeedPeer(ip, r));
  const names = linkNames([...rules.cells.keys()]);
  const seedLinks = [...rules.cells]
    .map(([tag, r]) => ({ name: names.get(tag) ?? tag, seed: readSeedLink(tag, r, layout) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const services = inferServices({
    vipLists: [...seedPeers, ...seedLinks.map((l) => l.seed)].map((owner) => owner.vips.map((v) => v.vip)),
    peers: seedPeers,
    addresses: observed.addresses,
    caddyInterface: layout.caddyInterface,
    blocked: corefile?.blocked ?? new Map(),
  });
  const dns = new Map(seedLinks.map(({ name, seed }) => [name, linkDns(name, seed.vpnSubnet, corefile)]));
  const routing = inferRouteVia(
    seedPeers.map((p) => p.ip),
    observed.policyRules,
    observed.routes,
    seedLinks.map(({ name, seed }) => ({ name, vpnSubnet: seed.vpnSubnet, dnsIp: dns.get(name)?.dnsIp ?? null })),
  );

  const cell = inferCell(seedPeers, corefile, services.ipRange, services.entries, findings);
  findings.push(...services.findings);
  findings.push(
    finding(
      'inferred',
      'peers',
      'iptables holds no names: each peer is named peer-<its IP>; rename a file and its "name" freely',
    ),
  );
  const peers: ImportedPeer[] = [];
  for (const seed of seedPeers) {
    const result = inferPeer(seed, {
      services: services.names,
      routeVia: routing.routeVia,
      blocked: corefile?.blocked ?? null,
    });
    peers.push(result.peer);
    findings.push(...result.findings);
  }
  findings.push(...routing.findings);
  const exits = new Set(routing.routeVia.values());
  const links: ImportedLink[] = [];
  for (const { name, seed } of seedLinks) {
    const context = {
      name,
      services: services.names,
      dns: dns.get(name) ?? null,
      wgIp: routing.wgIp.get(name) ?? null,
      isExit: exits.has(name),
    };
    const result = inferLink(seed, context);
    if (result.link !== null) links.push(result.link);
    findings.push(...result.findings);
  }
  for (const forward of corefile?.forwards ?? []) {
    if (![...dns.values()].some((d) => d?.domain === forward.domain)) {
      findings.push(
        finding(
          'could not',
          'cells',
          `the Corefile forwards ${forward.domain} to ${forward.dnsIp}, which matches no linked cell's rules: not imported`,
        ),
      );
    }
  }
  for (const tag of rules.oddTags)
    findings.push(finding('could not', 'live cell', `import the rules tagged ${tag}: not a tag the seed writes`));
  findings.push(...defectNotes(rules, cell, corefile, routing.routeVia.size > 0));
  return { ok: true, state: { cell, peers, links }, findings };
}

function readCorefileFacts(observed: ObservedCell, findings: Finding[]): SeedCorefile | null {
  if (!observed.corefile.ok) {
    findings.push(finding('could not', 'cell.json', `read the Corefile (${observed.corefile.error})`));
    return null;
  }
  if (observed.corefile.value === null) {
    findings.push(
      finding(
        'could not',
        'cell.json',
        "find a Corefile: domain, upstream DNS and the links' DNS take the seed's defaults",
      ),
    );
    return null;
  }
  const parsed = readSeedCorefile(observed.corefile.value);
  if (!parsed.ok) findings.push(finding('could not', 'cell.json', `parse the Corefile (${parsed.error})`));
  return parsed.ok ? parsed.value : null;
}

function inferCell(
  peers: readonly SeedPeer[],
  corefile: SeedCorefile | null,
  ipRange: string,
  services: ImportedCell['services'],
  findings: Finding[],
): ImportedCell {
  const subject = 'cell.json';
  const domain =
    corefile?.domain !== null && corefile?.domain !== undefined && DOMAIN_PATTERN.test(corefile.domain)
      ? corefile.domain
      : null;
  if (domain !== null)
    findings.push(
      finding('inferred', subject, `domain "${domain}" from the Corefile's zone block (file /data/${domain}.zone)`),
    );
  else if (corefile !== null)
    findings.push(
      finding(
        'could not',
        subject,
        `find the cell's zone block in the Corefile: domain is the seed's "${SEED_DOMAIN}"`,
      ),
    );
  const upstream = corefile?.upstream ?? null;
  if (upstream !== null)
    findings.push(finding('inferred', subject, `upstream_dns ${upstream.join(' ')} from the Corefile's root block`));
  else if (corefile !== null)
    findings.push(
      finding(
        'could not',
        subject,
        `find "forward ." in the Corefile's root block: upstream_dns is the seed's ${SEED_UPSTREAM.join(' ')}`,
      ),
    );

  const subnets = [...new Set(peers.map((p) => p.peerSubnet).filter((s): s is string => s !== null))];
  const peerSubnet = subnets[0] ?? SEED_PEER_SUBNET;
  if (subnets.length === 0)
    findings.push(
      finding('could not', subject, `find a peer-subnet rule: peer_subnet is the seed's ${SEED_PEER_SUBNET}`),
    );
  else findings.push(finding('inferred', subject, `peer_subnet ${peerSubnet} from the peers' peer-access rules`));
  if (subnets.length > 1)
    findings.push(
      finding(
        'could not',
        subject,
        `the peers' rules name several peer subnets (${subnets.join(' ')}): kept the first`,
      ),
    );

  const name =
    domain !== null && NAME_PATTERN.test(domain.split('.')[0] ?? '') ? (domain.split('.')[0] as string) : SEED_DOMAIN;
  findings.push(
    finding(
      'inferred',
      subject,
      `name "${name}" after the domain (the live cell has no name of its own; rename freely)`,
    ),
  );
  return {
    kind: 'Cell',
    name,
    domain: domain ?? SEED_DOMAIN,
    ip_range: ipRange,
    peer_subnet: peerSubnet,
    services,
    upstream_dns: upstream ?? SEED_UPSTREAM,
    unknown_peers: 'drop',
  };
}

/** What the controller deliberately does differently from the seed (DESIGN §5), one line each. */
function defectNotes(rules: SeedRules, cell: ImportedCell, corefile: SeedCorefile | null, routed: boolean): Finding[] {
  const notes: Finding[] = [
    finding(
      'changed',
      'cell.json',
      `unknown_peers "drop": the seed let any other source in ${cell.peer_subnet} through (DESIGN §5.4); write "accept" to keep that`,
    ),
  ];
  for (const legacy of rules.legacy) {
    notes.push(
      finding(
        'changed',
        'live cell',
        `${legacy.table} ${legacy.chain} "${legacy.rule}" is not carried over: ${legacy.reason.replace(/^legacy seed rule \((.*)\)$/, '$1')} (DESIGN §5)`,
      ),
    );
  }
  if (corefile !== null && [...corefile.blocked.values()].some((ips) => ips.size > 0)) {
    notes.push(
      finding(
        'changed',
        'cell.json',
        "DNS acls become one per service listing every blocked peer: the seed's refused only the first blocked peer per service (DESIGN §5.1)",
      ),
    );
  }
  if (routed)
    notes.push(
      finding(
        'changed',
        'peers',
        'peers with route_via keep reaching local services and peers: only internet traffic leaves through the exit cell (DESIGN §5.7)',
      ),
    );
  return notes;
}
