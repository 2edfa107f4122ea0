/**
 * The three resource kinds as they appear in state files (DESIGN.md §3).
 *
 * These schemas check shape and characters only; relations (VIPs inside ip_range,
 * references between resources) are checked after parsing. The same schemas produce
 * the shipped JSON Schemas (generate-json-schemas.ts), so editors and the controller
 * agree on what a file may hold. Every string that reaches iptables, `ip` or the
 * Corefile is restricted here to a small character set: names, DNS names, addresses.
 */
import { z } from 'zod';
import { cidrContains, parseCidr, parseIPv4 } from '../model/ipv4.js';
import { hostAddressProblem } from './host-address.js';

export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
/** Lowercase labels of letters, digits and inner dashes, joined by dots; at most 253 characters. */
export const DOMAIN_PATTERN =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
/** For editors only: the same language as parseIPv4, which stays the authority. */
export const IPV4_PATTERN = `^${OCTET}(?:\\.${OCTET}){3}$`;
/** For editors only: the shape of a CIDR; host bits are checked by parseCidr. */
export const CIDR_PATTERN = `^${OCTET}(?:\\.${OCTET}){3}/(?:3[0-2]|[12]?[0-9])$`;

export const DEFAULT_SERVICES = ['calendar', 'files', 'mail', 'webdav'] as const;

const name = z.string().regex(NAME_PATTERN, {
  error: 'must match [a-z0-9][a-z0-9-]{0,31}: lowercase letters, digits and dashes, at most 32',
});

const domain = z.string().regex(DOMAIN_PATTERN, {
  error: 'must be a DNS name of lowercase labels [a-z0-9-] separated by dots, without a trailing dot',
});

const ipv4 = z
  .string()
  .refine((text) => parseIPv4(text) !== null, { error: 'must be a dotted-quad IPv4 address, e.g. 10.0.0.2' })
  .meta({ pattern: IPV4_PATTERN });

const cidr = z
  .string()
  .refine((text) => parseCidr(text, true) !== null, {
    error: 'must be an IPv4 network in CIDR form with host bits zero, e.g. 10.0.0.0/24',
  })
  .meta({ pattern: CIDR_PATTERN });

/** Every file may point at its JSON Schema. */
const schemaRef = z.string().optional().describe('The JSON Schema of this file, for editors');

const service = z.union([name, z.strictObject({ name, vip: ipv4.describe('The service VIP inside ip_range') })]);

export const fileCellSchema = z
  .strictObject({
    $schema: schemaRef,
    kind: z.literal('Cell'),
    name,
    domain: domain.default('cell').describe('DNS zone of the cell'),
    ip_range: cidr.default('172.20.0.0/16').describe("The cell's Docker network; VIPs live in it"),
    peer_subnet: cidr.default('10.0.0.0/24').describe("The WireGuard peers' subnet"),
    services: z
      .array(service)
      .max(64)
      .default([...DEFAULT_SERVICES])
      .describe('Service names, or { name, vip }; the i-th without vip gets network address + 21 + i'),
    upstream_dns: z.array(ipv4).min(1).max(8).default(['8.8.8.8', '1.1.1.1']).describe('Forwarders for the root zone'),
    unknown_peers: z
      .enum(['drop', 'accept'])
      .default('drop')
      .describe('What a source inside peer_subnet that is no Peer gets'),
  })
  .superRefine((cell, context) => {
    const range = parseCidr(cell.ip_range);
    if (range === null || range.prefixlen >= 31) return;
    const gateway = range.network + 1;
    cell.services.forEach((entry, i) => {
      if (typeof entry !== 'string' && parseIPv4(entry.vip) === gateway) {
        context.addIssue({
          code: 'custom',
          input: undefined,
          path: ['services', i, 'vip'],
          message: `VIP ${entry.vip} is the first host address of ip_range ${cell.ip_range}, Docker's gateway`,
        });
      }
    });
  })
  .meta({ title: 'pic-reconciler Cell' });

export const filePeerSchema = z
  .strictObject({
    $schema: schemaRef,
    kind: z.literal('Peer'),
    name,
    ip: ipv4.describe("Inside the cell's peer_subnet"),
    internet_access: z.boolean().default(true),
    service_access: z
      .array(name)
      .max(64)
      .optional()
      .describe("Services this peer may reach; default: all the cell's services"),
    peer_access: z.boolean().default(true),
    route_via: name.nullable().default(null).describe("A CellLink whose cell is this peer's internet exit"),
  })
  .meta({ title: 'pic-reconciler Peer' });

export const fileCellLinkSchema = z
  .strictObject({
    $schema: schemaRef,
    kind: z.literal('CellLink'),
    name,
    vpn_subnet: cidr.describe("The remote cell's peer subnet"),
    domain: domain.nullable().default(null).describe('Remote DNS zone; set together with dns_ip'),
    dns_ip: ipv4.nullable().default(null).describe('Remote DNS server; set together with domain'),
    wg_ip: ipv4.nullable().default(null).describe("The remote cell's WireGuard address"),
    permissions: z
      .strictObject({
        inbound: z.record(name, z.boolean()).default({}).describe('Which of our services the remote cell may reach'),
      })
      .default({ inbound: {} }),
    remote_exit_relay_active: z
      .boolean()
      .default(false)
      .describe("We are the internet exit for the remote cell's peers"),
  })
  .superRefine((link, context) => {
    const problem = link.wg_ip === null ? null : nextHopProblem(link.wg_ip, link.vpn_subnet);
    if (problem !== null)
      context.addIssue({
        code: 'custom',
        input: undefined,
        path: ['wg_ip'],
        message: `${link.wg_ip ?? ''} ${problem}: it cannot be a next hop`,
      });
  })
  .meta({ title: 'pic-reconciler CellLink' });

/** Why a route's gateway can never be this address, or null. (Inside peer_subnet: check-resources.ts.) */
function nextHopProblem(text: string, vpnSubnet: string): string | null {
  const address = parseIPv4(text);
  if (address === null) return null;
  if (address === 0) return 'is the unspecified address';
  if (address === 0xffffffff) return 'is the broadcast address';
  if (address >>> 28 === 0xe) return 'is a multicast address';
  if (address >>> 24 === 127) return 'is a loopback address';
  const subnet = parseCidr(vpnSubnet);
  if (subnet === null || !cidrContains(subnet, address)) return null;
  const host = hostAddressProblem(subnet, address);
  return host === null ? null : `${host} vpn_subnet ${vpnSubnet}`;
}

/** `from`/`to` of an AccessTest: a name, `cell:<name>`, or an IPv4 address (`to` also `IPv4:port`). */
export const ACCESS_ENDPOINT_PATTERN = `^(?:(?:cell:)?[a-z0-9][a-z0-9-]{0,31}|${OCTET}(?:\\.${OCTET}){3}(?::[0-9]{1,5})?)$`;
const accessEndpoint = z.string().regex(new RegExp(ACCESS_ENDPOINT_PATTERN), {
  error: 'must be a peer or service name, cell:<link>, api, internet, or an IPv4 address',
});

export const fileAccessTestSchema = z
  .strictObject({
    $schema: schemaRef,
    kind: z.literal('AccessTest'),
    name,
    from: accessEndpoint.describe('A peer, cell:<link>, or an IPv4 address'),
    to: accessEndpoint.describe('A service, a peer, api, internet, cell:<link>, or IPv4[:port]'),
    expect: z.enum(['allow', 'deny']).describe('Whether a connection must reach (allow) or must not (deny)'),
    port: z.number().int().min(1).max(65535).optional().describe('Destination port; default 443 (api: api_port)'),
    proto: z.enum(['tcp', 'udp']).optional().describe('Default tcp'),
  })
  .meta({ title: 'pic-reconciler AccessTest' });

export type FileCell = z.output<typeof fileCellSchema>;
export type FilePeer = z.output<typeof filePeerSchema>;
export type FileCellLink = z.output<typeof fileCellLinkSchema>;

export const FILE_SCHEMAS = {
  Cell: fileCellSchema,
  Peer: filePeerSchema,
  CellLink: fileCellLinkSchema,
  AccessTest: fileAccessTestSchema,
} as const;

export type FileKind = keyof typeof FILE_SCHEMAS;

export function isFileKind(value: unknown): value is FileKind {
  return typeof value === 'string' && Object.hasOwn(FILE_SCHEMAS, value);
}
