import type { DesiredState } from '../model/desired-state.js';

const INDENT = '    ';

interface Directive {
  readonly line: string;
  readonly block?: readonly string[];
}

function serverBlock(key: string, directives: readonly Directive[]): string {
  const lines = [`${key} {`];
  for (const d of directives) {
    if (d.block === undefined) {
      lines.push(INDENT + d.line);
    } else {
      lines.push(`${INDENT}${d.line} {`, ...d.block.map((l) => INDENT + INDENT + l), `${INDENT}}`);
    }
  }
  lines.push('}');
  return lines.join('\n');
}

/**
 * One acl per service that some peer may not reach, listing every such peer, and no
 * `allow` line. CoreDNS stops checking acls at the first `allow` that matches
 * (plugin/acl/acl.go breaks RulesCheckLoop), so the seed's one-acl-per-peer blocks, each
 * ending in `allow net 0.0.0.0/0`, refused only the first blocked peer (DESIGN §5.1).
 * A source no policy matches is allowed, so nothing else needs saying.
 */
function aclDirectives(state: DesiredState): Directive[] {
  const { cell, peers } = state;
  return cell.services.flatMap((service): Directive[] => {
    const blocked = peers.filter((peer) => !peer.service_access.includes(service.name));
    if (blocked.length === 0) return [];
    const nets = blocked.map((peer) => `${peer.ip}/32`).join(' ');
    return [{ line: `acl ${service.name}.${cell.domain}.`, block: [`block net ${nets}`] }];
  });
}

/**
 * The whole Corefile, in the seed's shape: the root zone forwarding upstream, the
 * cell's zone with its acls, and one forwarding block per linked cell with a DNS server.
 */
export function renderCorefile(state: DesiredState): string {
  const { cell, links } = state;
  const root: Directive[] = [
    ...(cell.upstream_dns.length > 0 ? [{ line: `forward . ${cell.upstream_dns.join(' ')}` }] : []),
    { line: 'cache' },
    { line: 'log' },
    { line: 'health' },
  ];
  const zone: Directive[] = [{ line: `file /data/${cell.domain}.zone` }, { line: 'log' }, ...aclDirectives(state)];
  const blocks = [serverBlock('.', root), serverBlock(cell.domain, zone)];
  for (const link of links) {
    if (link.domain === null || link.dns_ip === null) continue;
    blocks.push(serverBlock(link.domain, [{ line: `forward . ${link.dns_ip}` }, { line: 'cache' }, { line: 'log' }]));
  }
  return `${blocks.join('\n\n')}\n`;
}
