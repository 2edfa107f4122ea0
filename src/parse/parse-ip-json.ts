import { z } from 'zod';
import { parseIPv4 } from '../model/ipv4.js';
import type { ObservedAddress, ObservedPolicyRule, ObservedRoute } from '../model/network.js';
import type { Observation } from '../model/observed-cell.js';

/**
 * Parsers for iproute2's JSON output (`ip -j`), IPv4 only. Shapes were captured from
 * iproute2 6.1 (fixtures in test/fixtures/observe/); keys we do not model are ignored.
 * Names and numbers are both accepted (`ip -N` prints tables, protocols and types as numbers).
 */

const AddrShow = z.array(
  z.object({
    ifname: z.string(),
    addr_info: z
      .array(
        z.object({
          family: z.string(),
          local: z.string().optional(),
          prefixlen: z.number().int().min(0).max(128).optional(),
          label: z.string().optional(),
          secondary: z.boolean().optional(),
        }),
      )
      .default([]),
  }),
);

const RuleShow = z.array(
  z.object({
    priority: z.number().int().min(0),
    src: z.string().optional(),
    srclen: z.number().int().min(0).max(32).optional(),
    table: z.string().optional(),
    suppress_prefixlen: z.number().int().optional(),
    protocol: z.string().optional(),
  }),
);

const RouteShow = z.array(
  z.object({
    type: z.string().optional(),
    dst: z.string(),
    gateway: z.string().optional(),
    dev: z.string().optional(),
    table: z.string().optional(),
    protocol: z.string().optional(),
    prefsrc: z.string().optional(),
    /** The kernel sends a route preference only for IPv6 routes. */
    pref: z.string().optional(),
    /** Fields that make a route more than table, dst, gateway and dev: kept only to say so. */
    nexthops: z.array(z.unknown()).optional(),
    metric: z.number().optional(),
    encap: z.unknown().optional(),
    via: z.unknown().optional(),
  }),
);

/** iproute2's default /etc/iproute2/rt_protos: the names `ip` prints instead of numbers. */
const PROTOCOL_NUMBERS: ReadonlyMap<string, number> = new Map([
  ['unspec', 0],
  ['redirect', 1],
  ['kernel', 2],
  ['boot', 3],
  ['static', 4],
  ['gated', 8],
  ['ra', 9],
  ['mrt', 10],
  ['zebra', 11],
  ['bird', 12],
  ['dnrouted', 13],
  ['xorp', 14],
  ['ntk', 15],
  ['dhcp', 16],
  ['keepalived', 18],
  ['babel', 42],
  ['openr', 99],
  ['bgp', 186],
  ['isis', 187],
  ['ospf', 188],
  ['rip', 189],
  ['eigrp', 192],
]);

/** Reserved table names (rt_tables) and their ids. */
const TABLE_IDS: ReadonlyMap<string, string> = new Map([
  ['main', '254'],
  ['local', '255'],
  ['default', '253'],
  ['unspec', '0'],
]);

/**
 * `ip -j addr show dev <dev>` → the device's IPv4 addresses; an unlabelled address reads as
 * labelled with the device name. `[]` reads as no addresses; a list of other devices is an error.
 */
export function parseIpAddr(json: string, dev: string): Observation<readonly ObservedAddress[]> {
  const parsed = parseJson(json, AddrShow);
  if (!parsed.ok) return parsed;
  if (parsed.value.length === 0) return { ok: true, value: [] };
  const link = parsed.value.find((entry) => entry.ifname === dev);
  if (!link) return { ok: false, error: `device ${dev} is not in the output` };
  const addresses: ObservedAddress[] = [];
  for (const info of link.addr_info) {
    if (info.family !== 'inet') continue;
    if (
      info.local === undefined ||
      parseIPv4(info.local) === null ||
      info.prefixlen === undefined ||
      info.prefixlen > 32
    ) {
      return { ok: false, error: `device ${dev}: malformed IPv4 address ${JSON.stringify(info)}` };
    }
    addresses.push({
      address: info.local,
      prefixlen: info.prefixlen,
      label: info.label ?? dev,
      ...(info.secondary === true ? { secondary: true } : {}),
    });
  }
  return { ok: true, value: addresses };
}

/**
 * `ip -j rule` → the IPv4 policy rules that look up a table (goto and action rules are
 * left out). `src` is the address for a /32, `a.b.c.d/n` for a wider prefix, 0.0.0.0/0
 * for `all`; `table` is 'main' or a decimal id. Selectors the model has no field for
 * (iif, fwmark, to, not, ...) are not represented.
 */
export function parseIpRules(json: string): Observation<readonly ObservedPolicyRule[]> {
  const parsed = parseJson(json, RuleShow);
  if (!parsed.ok) return parsed;
  const rules: ObservedPolicyRule[] = [];
  for (const rule of parsed.value) {
    if (rule.table === undefined) continue;
    const src = ruleSource(rule.src, rule.srclen);
    if (src === null)
      return { ok: false, error: `rule ${rule.priority}: malformed source ${JSON.stringify(rule.src)}` };
    const table = tableId(rule.table);
    rules.push({
      priority: rule.priority,
      src,
      table: table === '254' ? 'main' : table,
      suppressPrefixlength: rule.suppress_prefixlen ?? null,
      protocol: protocolNumber(rule.protocol),
    });
  }
  return { ok: true, value: rules };
}

/**
 * `ip -j route show table all` → the IPv4 unicast routes (local, broadcast, blackhole and
 * other types are left out). `dst` is 'default' or a CIDR; `table` is a decimal id (254 when
 * absent, i.e. main); `gateway` and `dev` are '' when the route has none (link or multipath routes),
 * and `opaque` says why when those four fields do not describe the route in full.
 */
export function parseIpRoutes(json: string): Observation<readonly ObservedRoute[]> {
  const parsed = parseJson(json, RouteShow);
  if (!parsed.ok) return parsed;
  const routes: ObservedRoute[] = [];
  for (const route of parsed.value) {
    if (isIPv6(route)) continue;
    if (route.type !== undefined && route.type !== 'unicast' && route.type !== '1') continue;
    const dst = routeDestination(route.dst);
    if (dst === null) return { ok: false, error: `route: malformed destination ${JSON.stringify(route.dst)}` };
    const opaque = opaqueReason(route);
    routes.push({
      table: tableId(route.table ?? 'main'),
      dst,
      gateway: route.gateway ?? '',
      dev: route.dev ?? '',
      protocol: protocolNumber(route.protocol),
      ...(opaque === null ? {} : { opaque }),
    });
  }
  return { ok: true, value: routes };
}

function parseJson<T>(json: string, schema: z.ZodType<T>): Observation<T> {
  if (json.trim() === '') return { ok: false, error: 'empty output' };
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (error) {
    return { ok: false, error: `invalid JSON: ${(error as Error).message.split('\n')[0] ?? ''}` };
  }
  const result = schema.safeParse(data);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  return { ok: false, error: `unexpected JSON at /${issue?.path.join('/') ?? ''}: ${issue?.message ?? 'invalid'}` };
}

function ruleSource(src: string | undefined, srclen: number | undefined): string | null {
  if (src === undefined || src === 'all') return '0.0.0.0/0';
  if (parseIPv4(src) === null) return null;
  return srclen === undefined || srclen === 32 ? src : `${src}/${srclen}`;
}

function routeDestination(dst: string): string | null {
  if (dst === 'default') return dst;
  const slash = dst.indexOf('/');
  const address = slash < 0 ? dst : dst.slice(0, slash);
  if (parseIPv4(address) === null) return null;
  return slash < 0 ? `${dst}/32` : dst;
}

function opaqueReason(route: z.infer<typeof RouteShow>[number]): string | null {
  if (route.nexthops !== undefined) return `a multipath route (${route.nexthops.length} next hops)`;
  if (route.encap !== undefined) return 'an encapsulating route';
  if (route.via !== undefined) return 'a next hop of another address family';
  if (route.metric !== undefined && route.metric !== 0) return `a route with metric ${route.metric}`;
  return null;
}

function isIPv6(route: z.infer<typeof RouteShow>[number]): boolean {
  return route.pref !== undefined || [route.dst, route.gateway, route.prefsrc].some((a) => a?.includes(':') === true);
}

function tableId(table: string): string {
  return TABLE_IDS.get(table) ?? table;
}

/** A protocol name or number string → its number; null when absent or unknown. */
function protocolNumber(protocol: string | undefined): number | null {
  if (protocol === undefined) return null;
  const named = PROTOCOL_NUMBERS.get(protocol);
  if (named !== undefined) return named;
  return /^[0-9]{1,3}$/.test(protocol) && Number(protocol) <= 255 ? Number(protocol) : null;
}
