import { finding, type Finding } from './import-finding.js';
import type { ImportedPeer } from './imported-state.js';
import type { SeedPeer } from './read-seed-owner.js';

export interface PeerContext {
  /** VIP → service name, in the cell's service order. */
  readonly services: ReadonlyMap<string, string>;
  readonly routeVia: ReadonlyMap<string, string>;
  /** From the Corefile's acls; null when there was no Corefile to read. */
  readonly blocked: ReadonlyMap<string, ReadonlySet<string>> | null;
}

/** iptables holds no names: a peer is named after its IP, which is unique and a valid name. */
export function peerName(ip: string): string {
  return `peer-${ip.replaceAll('.', '-')}`;
}

export function peerFile(ip: string): string {
  return `peers/${peerName(ip)}.json`;
}

const yesNo = (value: boolean): string => (value ? 'yes' : 'no');

/** A Peer file from one peer's seed rules, with one line saying what was read and one per gap. */
export function inferPeer(seed: SeedPeer, context: PeerContext): { peer: ImportedPeer; findings: Finding[] } {
  const subject = peerFile(seed.ip);
  const findings: Finding[] = [];
  const allowed = new Map(seed.vips.map((v) => [v.vip, v.allowed]));
  const serviceAccess: string[] = [];
  for (const [vip, name] of context.services) {
    const verdict = allowed.get(vip);
    if (verdict === undefined)
      findings.push(finding('could not', subject, `no rule for service ${name} (${vip}): written as not allowed`));
    if (verdict === true) serviceAccess.push(name);
    const aclBlocks = context.blocked?.get(name)?.has(seed.ip) === true;
    if (context.blocked !== null && verdict !== undefined && aclBlocks === verdict) {
      findings.push(
        finding(
          'could not',
          subject,
          `the DNS acl ${aclBlocks ? 'blocks' : 'allows'} ${name} but iptables ${verdict ? 'accepts' : 'drops'} it: kept iptables' verdict`,
        ),
      );
    }
  }
  const internet = seed.internetAccess ?? true;
  const peerAccess = seed.peerAccess ?? true;
  if (seed.internetAccess === null)
    findings.push(finding('could not', subject, 'no final ACCEPT or DROP rule: internet_access written as true'));
  if (seed.internetAccess === false && seed.privateNets < 3)
    findings.push(
      finding(
        'could not',
        subject,
        `only ${seed.privateNets} of the seed's 3 private-net ACCEPTs before the DROP: the new chain has all 3`,
      ),
    );
  if (seed.peerAccess === null)
    findings.push(finding('could not', subject, 'no rule for the peer subnet: peer_access written as true'));
  for (const rule of seed.stray)
    findings.push(finding('could not', subject, `rule in none of the seed's shapes, not imported: ${rule}`));
  const via = context.routeVia.get(seed.ip);
  findings.unshift(
    finding(
      'inferred',
      subject,
      `${seed.ip} from ${seed.ruleCount} rules tagged pic-peer-${seed.ip.replaceAll('.', '-')}/32: services [${serviceAccess.join(' ')}], ` +
        `other peers ${yesNo(peerAccess)}, internet ${internet ? (via === undefined ? 'yes' : `yes via ${via}`) : 'no'}`,
    ),
  );
  const peer: ImportedPeer = {
    kind: 'Peer',
    name: peerName(seed.ip),
    ip: seed.ip,
    internet_access: internet,
    service_access: serviceAccess,
    peer_access: peerAccess,
    ...(via === undefined ? {} : { route_via: via }),
  };
  return { peer, findings };
}
