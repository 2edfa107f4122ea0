/**
 * `ip -j rule` and `ip -j route show table all` → the model's Routing, keeping every
 * selector and route type (src/observe's parsers keep only what the planner needs).
 * A selector the model does not evaluate is kept by name, so reaching it is `unknown`.
 */
import { z } from 'zod';
import { parseIPv4 } from '../model/ipv4.js';
import type { Routing, RoutingRoute, RoutingRule } from './access-types.js';

const RuleJson = z.array(z.looseObject({ priority: z.number().int().min(0) }));
const RouteJson = z.array(z.looseObject({ dst: z.string() }));

/** Keys of `ip -j rule` output the model reads or that only describe the rule. */
const RULE_KEYS: ReadonlySet<string> = new Set([
  'priority',
  'not',
  'src',
  'srclen',
  'dst',
  'dstlen',
  'iif',
  'oif',
  'fwmark',
  'fwmask',
  'table',
  'suppress_prefixlen',
  'goto',
  'action',
  'protocol',
  'flags',
]);

const TABLE_NAMES: ReadonlyMap<string, string> = new Map([
  ['254', 'main'],
  ['255', 'local'],
  ['253', 'default'],
]);

export function tableName(table: string): string {
  return TABLE_NAMES.get(table) ?? table;
}

export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export function parseRouting(rulesJson: string, routesJson: string): ParseResult<Routing> {
  const rules = parseRules(rulesJson);
  if (!rules.ok) return { ok: false, error: `ip rule: ${rules.error}` };
  const routes = parseRoutes(routesJson);
  if (!routes.ok) return { ok: false, error: `ip route: ${routes.error}` };
  return { ok: true, value: { rules: rules.value, routes: routes.value } };
}

function parseJson(text: string): ParseResult<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error: `invalid JSON: ${(error as Error).message.split('\n')[0] ?? ''}` };
  }
}

function prefix(address: unknown, length: unknown): string | null {
  if (address === undefined || address === 'all') return '0.0.0.0/0';
  if (typeof address !== 'string' || parseIPv4(address) === null) return null;
  const len = length === undefined ? 32 : length;
  return typeof len === 'number' && Number.isInteger(len) && len >= 0 && len <= 32 ? `${address}/${len}` : null;
}

function parseRules(text: string): ParseResult<RoutingRule[]> {
  const json = parseJson(text.trim() === '' ? '[]' : text);
  if (!json.ok) return json;
  const parsed = RuleJson.safeParse(json.value);
  if (!parsed.success) return { ok: false, error: 'not a list of rules with priorities' };
  const rules: RoutingRule[] = [];
  for (const raw of parsed.data) {
    const r = raw as Record<string, unknown>;
    const from = prefix(r['src'], r['srclen']);
    const to = prefix(r['dst'], r['dstlen']);
    if (from === null || to === null) return { ok: false, error: `rule ${raw.priority}: malformed address` };
    const unmodelled = Object.keys(r).filter((key) => !RULE_KEYS.has(key));
    const fwmark =
      r['fwmark'] === undefined
        ? null
        : { value: Number(r['fwmark']), mask: r['fwmask'] === undefined ? 0xffffffff : Number(r['fwmask']) };
    if (fwmark !== null && (!Number.isFinite(fwmark.value) || !Number.isFinite(fwmark.mask))) unmodelled.push('fwmark');
    const action = ruleAction(r);
    if (action === null) unmodelled.push(`action ${JSON.stringify(r['action'] ?? null)}`);
    rules.push({
      priority: raw.priority,
      not: 'not' in r,
      from,
      to,
      iif: typeof r['iif'] === 'string' ? r['iif'] : null,
      oif: typeof r['oif'] === 'string' ? r['oif'] : null,
      fwmark,
      action: action ?? { kind: 'nop' },
      unmodelled,
    });
  }
  rules.sort((a, b) => a.priority - b.priority);
  return { ok: true, value: rules };
}

function ruleAction(r: Record<string, unknown>): RoutingRule['action'] | null {
  if (typeof r['table'] === 'string') {
    const suppress = typeof r['suppress_prefixlen'] === 'number' ? r['suppress_prefixlen'] : null;
    return { kind: 'lookup', table: tableName(r['table']), suppressPrefixlength: suppress };
  }
  if (typeof r['goto'] === 'number') return { kind: 'goto', priority: r['goto'] };
  const action = r['action'];
  if (action === 'blackhole' || action === 'unreachable' || action === 'prohibit') return { kind: action };
  if (action === 'nop') return { kind: 'nop' };
  return null;
}

function parseRoutes(text: string): ParseResult<RoutingRoute[]> {
  const json = parseJson(text.trim() === '' ? '[]' : text);
  if (!json.ok) return json;
  const parsed = RouteJson.safeParse(json.value);
  if (!parsed.success) return { ok: false, error: 'not a list of routes' };
  const routes: RoutingRoute[] = [];
  for (const raw of parsed.data) {
    const r = raw as Record<string, unknown>;
    if ([r['dst'], r['gateway'], r['prefsrc']].some((a) => typeof a === 'string' && a.includes(':'))) continue; // IPv6
    const dst = raw.dst === 'default' ? '0.0.0.0/0' : raw.dst.includes('/') ? raw.dst : `${raw.dst}/32`;
    if (parseIPv4(dst.split('/')[0] ?? '') === null)
      return { ok: false, error: `malformed destination ${JSON.stringify(raw.dst)}` };
    routes.push({
      table: tableName(typeof r['table'] === 'string' ? r['table'] : 'main'),
      type: typeof r['type'] === 'string' ? r['type'] : 'unicast',
      dst,
      gateway: typeof r['gateway'] === 'string' ? r['gateway'] : null,
      dev: typeof r['dev'] === 'string' ? r['dev'] : '',
      metric: typeof r['metric'] === 'number' ? r['metric'] : 0,
      prefsrc: typeof r['prefsrc'] === 'string' ? r['prefsrc'] : null,
      multipath: Array.isArray(r['nexthops']),
    });
  }
  return { ok: true, value: routes };
}
