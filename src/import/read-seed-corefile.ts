import { parseIPv4 } from '../model/ipv4.js';
import { parseCorefile, type CorefileDirective, type CorefileServerBlock } from '../parse/parse-corefile.js';

/**
 * What the seed's Corefile (generate_corefile) says about the cell:
 *   . { forward . <upstream...> }                    the upstream DNS servers
 *   <domain> { file /data/<domain>.zone; acl <service>.<domain>. { block net <ip>/32 ... } }
 *   <link domain> { forward . <dns_ip> }             one per linked cell
 */
export interface SeedCorefile {
  readonly domain: string | null;
  readonly upstream: readonly string[] | null;
  readonly forwards: readonly { readonly domain: string; readonly dnsIp: string }[];
  /** Service name (first label of the acl's zone) → the peer IPs its acls block. */
  readonly blocked: ReadonlyMap<string, ReadonlySet<string>>;
}

export type ReadCorefileResult =
  { readonly ok: true; readonly value: SeedCorefile } | { readonly ok: false; readonly error: string };

function zoneName(key: string): string {
  return key.replace(/\.$/, '').toLowerCase();
}

function directive(block: CorefileServerBlock, name: string): CorefileDirective | undefined {
  return block.directives.find((d) => d.name === name);
}

/** `forward . a b`: the addresses after the `.`, IPv4 only (the seed writes nothing else). */
function forwardTargets(block: CorefileServerBlock): string[] | null {
  const forward = directive(block, 'forward');
  if (forward === undefined || forward.args[0] !== '.') return null;
  const targets = forward.args.slice(1).filter((arg) => parseIPv4(arg) !== null);
  return targets.length > 0 ? targets : null;
}

function zoneFileDomain(block: CorefileServerBlock): string | null {
  const file = directive(block, 'file')?.args[0];
  const m = file === undefined ? null : /^\/data\/(.+)\.zone$/.exec(file);
  const key = block.keys[0];
  return m?.[1] !== undefined && key !== undefined && zoneName(key) === m[1] ? m[1] : null;
}

function blockedByAcl(block: CorefileServerBlock, domain: string): Map<string, Set<string>> {
  const blocked = new Map<string, Set<string>>();
  for (const acl of block.directives.filter((d) => d.name === 'acl')) {
    for (const zone of acl.args.map(zoneName)) {
      if (!zone.endsWith(`.${domain}`)) continue;
      const service = zone.slice(0, -domain.length - 1);
      const ips = blocked.get(service) ?? new Set<string>();
      for (const policy of (acl.block ?? []).filter((p) => p.name === 'block')) {
        for (const net of policy.args.slice(policy.args.indexOf('net') + 1)) {
          const ip = net.endsWith('/32') ? net.slice(0, -3) : net;
          if (parseIPv4(ip) !== null) ips.add(ip);
        }
      }
      blocked.set(service, ips);
    }
  }
  return blocked;
}

export function readSeedCorefile(text: string): ReadCorefileResult {
  const parsed = parseCorefile(text);
  if (!parsed.ok) return parsed;
  const blocks = parsed.value.serverBlocks;
  const root = blocks.find((b) => b.keys.length === 1 && b.keys[0] === '.');
  const zone = blocks.find((b) => zoneFileDomain(b) !== null);
  const domain = zone === undefined ? null : zoneFileDomain(zone);
  const forwards = blocks.flatMap((block) => {
    const key = block.keys[0];
    const targets = forwardTargets(block);
    if (block === root || block === zone || key === undefined || targets === null || block.keys.length !== 1) return [];
    return [{ domain: zoneName(key), dnsIp: targets[0] as string }];
  });
  return {
    ok: true,
    value: {
      domain,
      upstream: root === undefined ? null : forwardTargets(root),
      forwards,
      blocked: zone === undefined || domain === null ? new Map() : blockedByAcl(zone, domain),
    },
  };
}
