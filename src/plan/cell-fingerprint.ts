import type { Facts, LayoutConfig } from '../model/facts.js';
import { BUILTIN_CHAINS, isOpaqueRule, JUMP_COMMENT, OWNED_CHAIN_PREFIX, TABLES } from '../model/iptables.js';
import type { ObservedIptables, ObservedRule } from '../model/iptables.js';
import { ruleComment } from '../model/iptables-rule.js';
import { OWNED_ROUTE_PROTOCOL, type ObservedPolicyRule, type ObservedRoute } from '../model/network.js';
import type { Observation, ObservedCell } from '../model/observed-cell.js';
import { legacySeedRuleReason } from './legacy-seed-rules.js';

/**
 * The live cell parts a plan was made against, as a hash per part: each `PIC-*` chain, our jumps
 * (and the seed's leftovers) in each built-in chain with their positions, our routes and policy
 * rules (and the non-main entries the seed's route_via could have left), the VIPs, the Corefile
 * and the api and dns addresses rendering took. Two observations with the same fingerprint give
 * the same plan for the same state; a part someone else owns (a foreign rule appended to FORWARD,
 * a kernel route in main) is left out so that it does not void a saved plan.
 *
 * Pure: the hash function comes in (sha256 at the edge), so this never imports node:crypto.
 */
export type CellFingerprint = Readonly<Record<string, string>>;

/** Routing tables the plan only ever reads our own entries from. */
const NOT_LEGACY_TABLES = new Set(['main', '254', '255', '253', 'local', 'default']);

function ruleText(rule: ObservedRule): string {
  return isOpaqueRule(rule) ? `opaque ${rule.text}` : rule;
}

/** A built-in chain's rules that a plan reads: ours, a jump into ours, a seed leftover; each with its position. */
function builtinPart(
  table: (typeof TABLES)[number],
  chain: string,
  rules: readonly ObservedRule[],
  layout: LayoutConfig,
): string {
  return rules
    .flatMap((rule, i) => {
      const text = ruleText(rule);
      const ours = isOpaqueRule(rule)
        ? rule.text.includes(JUMP_COMMENT) || rule.text.includes(OWNED_CHAIN_PREFIX)
        : ruleComment(rule) === JUMP_COMMENT ||
          rule.includes(`-j ${OWNED_CHAIN_PREFIX}`) ||
          legacySeedRuleReason(table, chain, rule, layout) !== null;
      return ours ? [`${i + 1} ${text}`] : [];
    })
    .join('\n');
}

function iptablesParts(iptables: ObservedIptables, layout: LayoutConfig): [string, string][] {
  return TABLES.flatMap((table) => {
    const chains = iptables[table].chains;
    const owned = [...chains.values()]
      .filter((chain) => !chain.builtin && chain.name.startsWith(OWNED_CHAIN_PREFIX))
      .map((chain): [string, string] => [`${table} ${chain.name}`, chain.rules.map(ruleText).join('\n')]);
    const builtins = BUILTIN_CHAINS[table].map((name): [string, string] => [
      `${table} ${name}`,
      builtinPart(table, name, chains.get(name)?.rules ?? [], layout),
    ]);
    return [...owned, ...builtins];
  });
}

function policyRulesPart(rules: readonly ObservedPolicyRule[]): string {
  return rules
    .filter((r) => r.protocol === OWNED_ROUTE_PROTOCOL || !NOT_LEGACY_TABLES.has(r.table))
    .map((r) => JSON.stringify([r.priority, r.src, r.table, r.suppressPrefixlength, r.protocol]))
    .sort()
    .join('\n');
}

function routesPart(routes: readonly ObservedRoute[]): string {
  return routes
    .filter((r) => r.protocol === OWNED_ROUTE_PROTOCOL || !NOT_LEGACY_TABLES.has(r.table))
    .map((r) => JSON.stringify([r.table, r.dst, r.gateway, r.dev, r.protocol, r.opaque ?? null]))
    .sort()
    .join('\n');
}

/** A part that could not be read fingerprints as such, so it never matches a part that was. */
function part<T>(observation: Observation<T>, text: (value: T) => string): string {
  return observation.ok ? `ok\n${text(observation.value)}` : `not observed: ${observation.error}`;
}

/** The fingerprint of one observation, part name → hash(part text). */
export function cellFingerprint(
  observed: ObservedCell,
  facts: Facts,
  layout: LayoutConfig,
  hash: (text: string) => string,
): CellFingerprint {
  const parts: [string, string][] = observed.iptables.ok
    ? iptablesParts(observed.iptables.value, layout)
    : [['iptables', part(observed.iptables, () => '')]];
  parts.push(
    ['iptables backend', observed.backend?.writes ?? 'default'],
    ['policy rules', part(observed.policyRules, policyRulesPart)],
    ['routes', part(observed.routes, routesPart)],
    [
      'VIPs',
      part(observed.addresses, (addresses) =>
        addresses
          .map((a) => `${a.address}/${a.prefixlen} ${a.label}${a.secondary === true ? ' secondary' : ''}`)
          .sort()
          .join('\n'),
      ),
    ],
    ['Corefile', part(observed.corefile, (text) => (text === null ? 'absent' : `present\n${text}`))],
    ['api address', facts.apiIp ?? 'none'],
    ['dns address', facts.dnsIp ?? 'none'],
  );
  return Object.fromEntries(parts.map(([name, text]) => [name, hash(text)]));
}
