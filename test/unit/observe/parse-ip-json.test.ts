import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIpAddr, parseIpRoutes, parseIpRules } from '../../../src/parse/parse-ip-json.js';
import { readFixture } from './helpers.js';

describe('parseIpAddr', () => {
  it('reads the IPv4 addresses of the device, labelled or not', () => {
    expect(parseIpAddr(readFixture('ip-addr-wg0.json'), 'wg0')).toEqual({
      ok: true,
      value: [
        { address: '10.0.1.2', prefixlen: 24, label: 'wg0' },
        { address: '172.20.0.21', prefixlen: 16, label: 'wg0:pic' },
        { address: '172.20.0.22', prefixlen: 16, label: 'wg0', secondary: true },
        { address: '172.20.0.23', prefixlen: 16, label: 'wg0:pic', secondary: true },
      ],
    });
  });

  it('labels an address without a label with the device name', () => {
    const json = JSON.stringify([
      { ifname: 'eth0', addr_info: [{ family: 'inet', local: '172.20.0.5', prefixlen: 16 }] },
    ]);
    expect(parseIpAddr(json, 'eth0')).toEqual({
      ok: true,
      value: [{ address: '172.20.0.5', prefixlen: 16, label: 'eth0' }],
    });
  });

  it('reads a device without addresses, or an empty list, as no addresses', () => {
    expect(parseIpAddr(readFixture('ip-addr-no-ipv4.json'), 'wgy')).toEqual({ ok: true, value: [] });
    expect(parseIpAddr('[]', 'eth0')).toEqual({ ok: true, value: [] });
  });

  it.each([
    ['another device', readFixture('ip-addr-wg0.json'), /^device eth0 is not in the output$/],
    ['empty output (the device does not exist)', '', /^empty output$/],
    ['broken JSON', '[{"ifname":', /^invalid JSON: /],
    ['an object instead of a list', '{"ifname":"eth0"}', /^unexpected JSON at \/: /],
    [
      'a bad address',
      '[{"ifname":"eth0","addr_info":[{"family":"inet","local":"300.1.1.1","prefixlen":16}]}]',
      /^device eth0: malformed IPv4 address/,
    ],
  ])('reports %s as an error', (_name, json, pattern) => {
    const result = parseIpAddr(json, 'eth0');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(pattern);
  });
});

const EXPECTED_RULES = [
  { priority: 0, src: '0.0.0.0/0', table: '255', suppressPrefixlength: null, protocol: null },
  { priority: 10000, src: '10.0.0.4', table: 'main', suppressPrefixlength: 0, protocol: 252 },
  { priority: 10001, src: '10.0.0.4', table: '1234', suppressPrefixlength: null, protocol: 252 },
  { priority: 10002, src: '10.0.0.0/24', table: '1235', suppressPrefixlength: null, protocol: 252 },
  { priority: 10003, src: '10.0.0.5', table: '1235', suppressPrefixlength: null, protocol: null },
  { priority: 20000, src: '10.0.0.6', table: '1236', suppressPrefixlength: null, protocol: 252 },
  { priority: 20001, src: '10.0.0.7', table: '1236', suppressPrefixlength: null, protocol: null },
  { priority: 20002, src: '10.0.0.8', table: '1236', suppressPrefixlength: null, protocol: 252 },
  { priority: 20005, src: '10.0.0.10', table: '1236', suppressPrefixlength: null, protocol: 3 },
  { priority: 20006, src: '10.0.0.11', table: '1236', suppressPrefixlength: null, protocol: 4 },
  { priority: 32766, src: '0.0.0.0/0', table: 'main', suppressPrefixlength: null, protocol: null },
  { priority: 32767, src: '0.0.0.0/0', table: '253', suppressPrefixlength: null, protocol: null },
];

describe('parseIpRules', () => {
  it('reads lookup rules (goto and unreachable rules left out), suppress_prefixlen, /24 sources and protocols', () => {
    expect(parseIpRules(readFixture('ip-rule.json'))).toEqual({ ok: true, value: EXPECTED_RULES });
  });

  it('reads `ip -N` output (numeric tables and protocols) the same', () => {
    expect(parseIpRules(readFixture('ip-rule-numeric.json'))).toEqual({ ok: true, value: EXPECTED_RULES });
  });

  it.each([
    ['broken JSON', '[{', /^invalid JSON/],
    ['a rule without priority', '[{"src":"all","table":"main"}]', /^unexpected JSON at \/0\/priority: /],
    ['a non-IPv4 source', '[{"priority":5,"src":"fe80::1","table":"main"}]', /^rule 5: malformed source "fe80::1"$/],
  ])('reports %s as an error', (_name, json, pattern) => {
    const result = parseIpRules(json);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(pattern);
  });
});

const EXPECTED_ROUTES = [
  { table: '1234', dst: 'default', gateway: '10.0.1.1', dev: 'wg0', protocol: 252 },
  { table: '1235', dst: '192.168.5.0/24', gateway: '10.0.1.1', dev: 'wg0', protocol: 4 },
  {
    table: '1236',
    dst: '192.168.8.0/24',
    gateway: '',
    dev: '',
    protocol: 252,
    opaque: 'a multipath route (2 next hops)',
  },
  { table: '254', dst: '10.0.1.0/24', gateway: '', dev: 'wg0', protocol: 2 },
  { table: '254', dst: '10.0.3.0/24', gateway: '', dev: 'wg1', protocol: 2 },
  { table: '254', dst: '172.20.0.0/16', gateway: '', dev: 'wg0', protocol: 2 },
  { table: '254', dst: '192.168.6.0/24', gateway: '10.0.1.1', dev: 'wg0', protocol: 99 },
];

describe('parseIpRoutes', () => {
  it('reads IPv4 unicast routes of all tables: IPv6 (even `default`), local, broadcast and blackhole left out', () => {
    expect(parseIpRoutes(readFixture('ip-route-all.json'))).toEqual({ ok: true, value: EXPECTED_ROUTES });
  });

  it('reads `ip -N -4` output (numeric tables, protocols and types) the same', () => {
    expect(parseIpRoutes(readFixture('ip-route-all-numeric-ipv4.json'))).toEqual({ ok: true, value: EXPECTED_ROUTES });
  });

  it('writes a host route destination as a /32 and an unknown protocol name as null', () => {
    const json = JSON.stringify([
      { dst: '10.9.9.9', gateway: '10.0.1.1', dev: 'wg0', table: '7', protocol: 'mystery' },
    ]);
    expect(parseIpRoutes(json)).toEqual({
      ok: true,
      value: [{ table: '7', dst: '10.9.9.9/32', gateway: '10.0.1.1', dev: 'wg0', protocol: null }],
    });
  });

  it.each([
    ['empty output', '  \n', /^empty output$/],
    ['a route without dst', '[{"dev":"wg0"}]', /^unexpected JSON at \/0\/dst: /],
    ['a malformed destination', '[{"dst":"10.0.0/8","dev":"wg0"}]', /^route: malformed destination "10.0.0\/8"$/],
  ])('reports %s as an error', (_name, json, pattern) => {
    const result = parseIpRoutes(json);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(pattern);
  });
});

describe('ip JSON parsers on arbitrary input', () => {
  it('never throw, whatever the text or JSON value', () => {
    const input = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.json({ maxDepth: 4 }),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify([v])),
    );
    fc.assert(
      fc.property(input, (text) => {
        for (const result of [parseIpAddr(text, 'eth0'), parseIpRules(text), parseIpRoutes(text)]) {
          if (!result.ok) expect(result.error).not.toContain('\n');
        }
      }),
      { seed: 42, numRuns: 1000 },
    );
  });
});
