import { cidrContains, parseCidr, parseIPv4 } from '../model/ipv4.js';
import type { Corefile, CorefileDirective, CorefileServerBlock } from '../parse/parse-corefile.js';

/**
 * CoreDNS's acl semantics, evaluated on a parsed Corefile for an IPv4 source
 * (coredns plugin/acl/acl.go and setup.go, core/dnsserver's zone selection):
 * - the query goes to the server block whose key is the longest zone containing it;
 * - that block's `acl` directives are checked in order; one applies when the query is
 *   inside one of its zones (its arguments, or the block's keys when it has none);
 * - inside an acl, the first policy whose `type` and `net` match decides; an acl where
 *   none matches decides nothing and the next acl is checked;
 * - `allow` ends the checking (the query is answered), `block`/`filter`/`drop` answer it
 *   themselves; when no acl decides, the query is allowed.
 */
export type AclVerdict = 'allow' | 'block' | 'filter' | 'drop' | 'no-server-block';

type PolicyAction = 'allow' | 'block' | 'filter' | 'drop';
const ACTIONS: readonly PolicyAction[] = ['allow', 'block', 'filter', 'drop'];

/** Lower-case, fully qualified; a key's transport prefix (`dns://`) and port are dropped. */
function normalizeZone(text: string): string {
  const bare = text
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/:[0-9]+$/, '')
    .toLowerCase();
  return bare.endsWith('.') ? bare : `${bare}.`;
}

function isSubdomain(zone: string, name: string): boolean {
  return zone === '.' || name === zone || name.endsWith(`.${zone}`);
}

function selectServerBlock(corefile: Corefile, qname: string): CorefileServerBlock | undefined {
  const blocks = corefile.serverBlocks.filter((b) => !b.keys.some((k) => k.startsWith('(')));
  let best: { block: CorefileServerBlock; length: number } | undefined;
  for (const block of blocks) {
    for (const key of block.keys.map(normalizeZone)) {
      if (isSubdomain(key, qname) && (best === undefined || key.length > best.length))
        best = { block, length: key.length };
    }
  }
  return best?.block;
}

/** The action of the first matching policy of one acl, null when none matches, or an error CoreDNS would report at startup. */
function matchPolicies(
  policies: readonly CorefileDirective[],
  source: number,
  qtype: string,
): PolicyAction | null | { error: string } {
  for (const policy of policies) {
    const action = ACTIONS.find((a) => a === policy.name.toLowerCase());
    if (action === undefined) return { error: `line ${policy.line}: unexpected acl action '${policy.name}'` };
    let section: string | null = null;
    let types: string[] | null = null;
    let nets: string[] | null = null;
    for (const token of policy.args) {
      const lower = token.toLowerCase();
      if (lower === 'type' || lower === 'net') {
        section = lower;
        if (lower === 'type') types = [];
        else nets = [];
      } else if (section === 'type') types?.push(token);
      else if (section === 'net') nets?.push(token);
      else return { error: `line ${policy.line}: unexpected token '${token}'; expect 'type | net'` };
    }
    if (types?.length === 0 || nets?.length === 0) return { error: `line ${policy.line}: empty section` };
    const typeMatches = types === null || types.includes('*') || types.includes(qtype);
    let netMatches = nets === null || nets.includes('*');
    for (const net of nets ?? []) {
      if (net === '*' || net.includes(':')) continue; // an IPv6 net never holds an IPv4 source
      const cidr = parseCidr(net.includes('/') ? net : `${net}/32`, false);
      if (cidr === null) return { error: `line ${policy.line}: illegal CIDR notation '${net}'` };
      if (cidrContains(cidr, source)) netMatches = true;
    }
    if (typeMatches && netMatches) return action;
  }
  return null;
}

/** What CoreDNS's acl plugin does with query `qname` (type `qtype`) from IPv4 `sourceIp`. */
export function evaluateAcl(
  corefile: Corefile,
  qname: string,
  sourceIp: string,
  qtype = 'A',
): AclVerdict | { error: string } {
  const source = parseIPv4(sourceIp);
  if (source === null) return { error: `not an IPv4 address: ${sourceIp}` };
  const name = normalizeZone(qname);
  const block = selectServerBlock(corefile, name);
  if (block === undefined) return 'no-server-block';
  for (const acl of block.directives.filter((d) => d.name === 'acl')) {
    const zones = (acl.args.length > 0 ? acl.args : block.keys).map(normalizeZone);
    if (!zones.some((zone) => isSubdomain(zone, name))) continue;
    // `allow` ends the loop just as a refusal does, so the first decision is the verdict.
    const action = matchPolicies(acl.block ?? [], source, qtype);
    if (action !== null) return action;
  }
  return 'allow';
}
