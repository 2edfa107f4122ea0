import type { LayoutConfig } from '../model/facts.js';
import { parseCidr } from '../model/ipv4.js';
import { PRIVATE_NETS } from '../render/render-peer-chain.js';
import type { SeedRule } from './parse-seed-rule.js';

/** A service rule: `-d <vip>/32 -j ACCEPT|DROP`. */
export interface VipVerdict {
  readonly vip: string;
  readonly allowed: boolean;
}

/** What one peer's tagged rules say, in the seed's terms. A part with no rule is null. */
export interface SeedPeer {
  readonly ip: string;
  readonly vips: readonly VipVerdict[];
  /** From `-d <peer subnet> -j ACCEPT|DROP`, the first rule with a wider destination. */
  readonly peerSubnet: string | null;
  readonly peerAccess: boolean | null;
  /** From the final `-j ACCEPT` (true) or `-j DROP` (false). */
  readonly internetAccess: boolean | null;
  /** How many of the seed's private-net ACCEPTs precede a final DROP. */
  readonly privateNets: number;
  /** Rules in none of the seed's shapes; left out of the import. */
  readonly stray: readonly string[];
  readonly ruleCount: number;
}

/** What one linked cell's tagged rules say. */
export interface SeedLink {
  readonly tagName: string;
  readonly vpnSubnet: string | null;
  readonly vips: readonly VipVerdict[];
  /** The api address of `-d <api>/32 -p tcp --dport <api port> -j ACCEPT`. */
  readonly apiIp: string | null;
  readonly exitRelay: boolean;
  readonly catchAllDrop: boolean;
  readonly stray: readonly string[];
  readonly ruleCount: number;
}

function verdict(rule: SeedRule): boolean | null {
  return rule.target === 'ACCEPT' ? true : rule.target === 'DROP' ? false : null;
}

function hostAddress(cidr: string | null): string | null {
  return cidr !== null && cidr.endsWith('/32') && parseCidr(cidr) !== null ? cidr.slice(0, -3) : null;
}

/**
 * The seed's per-peer rules, top to bottom (apply_peer_rules):
 *   -d <vip>/32 ACCEPT|DROP per service; -d <peer subnet> ACCEPT|DROP;
 *   then -j ACCEPT, or -d <private net> ACCEPT x3 and -j DROP. Every rule has -s <ip>/32.
 */
export function readSeedPeer(ip: string, rules: readonly SeedRule[]): SeedPeer {
  const vips: VipVerdict[] = [];
  const stray: string[] = [];
  let peerSubnet: string | null = null;
  let peerAccess: boolean | null = null;
  let internetAccess: boolean | null = null;
  let privateNets = 0;
  for (const rule of rules) {
    const allowed = verdict(rule);
    const plain =
      allowed !== null &&
      rule.unknown.length === 0 &&
      rule.src === `${ip}/32` &&
      rule.in === null &&
      rule.out === null &&
      rule.proto === null &&
      rule.dport === null;
    const vip = hostAddress(rule.dst);
    if (!plain || internetAccess !== null) stray.push(rule.text);
    else if (rule.dst === null) internetAccess = allowed;
    else if (vip !== null && peerSubnet === null) vips.push({ vip, allowed });
    else if (peerSubnet === null && parseCidr(rule.dst) !== null) [peerSubnet, peerAccess] = [rule.dst, allowed];
    else if (allowed && PRIVATE_NETS.includes(rule.dst)) privateNets++;
    else stray.push(rule.text);
  }
  return { ip, vips, peerSubnet, peerAccess, internetAccess, privateNets, stray, ruleCount: rules.length };
}

/**
 * The seed's per-cell rules, top to bottom (apply_cell_rules), each with -s <vpn_subnet>:
 *   -d <api>/32 -p tcp --dport 3000 ACCEPT; -d <vip>/32 ACCEPT|DROP per service;
 *   -o eth0 ACCEPT when it is an exit relay; -j DROP.
 */
export function readSeedLink(tagName: string, rules: readonly SeedRule[], layout: LayoutConfig): SeedLink {
  const vpnSubnet =
    rules.map((r) => r.src).find((src): src is string => src !== null && parseCidr(src) !== null) ?? null;
  const vips: VipVerdict[] = [];
  const stray: string[] = [];
  let apiIp: string | null = null;
  let exitRelay = false;
  let catchAllDrop = false;
  for (const rule of rules) {
    const allowed = verdict(rule);
    const vip = hostAddress(rule.dst);
    const plain =
      allowed !== null && rule.unknown.length === 0 && rule.src === vpnSubnet && rule.in === null && !catchAllDrop;
    const tcpToApi = rule.proto === 'tcp' && rule.dport === String(layout.apiPort);
    if (!plain) stray.push(rule.text);
    else if (vip !== null && tcpToApi && allowed && rule.out === null) apiIp = vip;
    else if (vip !== null && rule.proto === null && rule.dport === null && rule.out === null)
      vips.push({ vip, allowed });
    else if (rule.dst === null && rule.out === layout.egressInterface && allowed && rule.proto === null)
      exitRelay = true;
    else if (rule.dst === null && rule.out === null && rule.proto === null && !allowed) catchAllDrop = true;
    else stray.push(rule.text);
  }
  return { tagName, vpnSubnet, vips, apiIp, exitRelay, catchAllDrop, stray, ruleCount: rules.length };
}
