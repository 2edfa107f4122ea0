import { describe, expect, it } from 'vitest';
import { CELL_CHAIN_PREFIX, cellChainName } from '../../../src/model/chain-names.js';
import { validateState } from '../../../src/load/validate-state.js';
import { CELL, ISSUE_LINE, issueLines, link, peer, stateFiles } from './helpers.js';

const NAME_RULE = 'must match [a-z0-9][a-z0-9-]{0,31}: lowercase letters, digits and dashes, at most 32';

function check(files: Record<string, unknown>) {
  const loaded = validateState(stateFiles(files));
  const lines = issueLines(loaded);
  for (const line of lines) expect(line).toMatch(ISSUE_LINE);
  return { loaded, lines };
}

describe('bad input: one line per problem, with file and pointer', () => {
  it('broken JSON gives line and column', () => {
    const { loaded, lines } = check({
      'cell.json': CELL,
      'peers/a.json': '{"kind": "Peer",\n "name": "a" "ip": "10.0.0.2"}',
    });
    expect(lines).toEqual([
      "peers/a.json: /: invalid JSON at line 2 column 14: Expected ',' or '}' after property value",
    ]);
    // The rest still loads; the broken file has no previous version, so it is unresolved.
    expect(loaded.state?.cell.name).toBe('home');
    expect(loaded.unresolvedFiles).toEqual(['peers/a.json']);
  });

  it('broken JSON never echoes the file text', () => {
    const { lines } = check({ 'cell.json': CELL, 'a.json': '{"kind": Peer -j ACCEPT\n}' });
    expect(lines).toEqual(["a.json: /: invalid JSON: Unexpected token 'P'"]);
  });

  it('an empty file is invalid JSON', () => {
    expect(check({ 'cell.json': CELL, 'a.json': '' }).lines).toEqual([
      'a.json: /: invalid JSON: Unexpected end of JSON input',
    ]);
  });

  it('wrong types', () => {
    const { loaded, lines } = check({
      'cell.json': { ...CELL, services: 'calendar', upstream_dns: [1], unknown_peers: 'allow' },
      'peers/a.json': peer('a', '10.0.0.2', { internet_access: 'yes', service_access: [{ name: 'x' }, 3] }),
    });
    expect(lines).toEqual([
      'cell.json: /services: expected array, got string',
      'cell.json: /upstream_dns/0: expected string, got number',
      'cell.json: /unknown_peers: must be "drop" or "accept", got "allow"',
      'peers/a.json: /internet_access: expected boolean, got string',
      'peers/a.json: /service_access/0: expected string, got object',
      'peers/a.json: /service_access/1: expected string, got number',
      '.: /: no valid Cell resource: nothing can be reconciled',
    ]);
    expect(loaded.state).toBeNull();
  });

  it('missing required fields and a file that is not an object', () => {
    expect(check({ 'cell.json': CELL, 'a.json': { kind: 'Peer' }, 'b.json': '"Peer"' }).lines).toEqual([
      'a.json: /name: required field is missing',
      'a.json: /ip: required field is missing',
      'b.json: /: must hold a resource object or an array of them, got string',
    ]);
  });

  it('unknown fields, each at its own pointer, escaped', () => {
    const { lines } = check({ 'cell.json': CELL, 'peers/a.json': [peer('a', '10.0.0.2', { admin: true, 'x\ny': 1 })] });
    expect(lines).toEqual(['peers/a.json: /0/admin: unknown field', 'peers/a.json: /0/x\\ny: unknown field']);
  });

  it('unknown fields in nested objects', () => {
    const { lines } = check({
      'cell.json': { ...CELL, services: [{ name: 'chat', vip: '172.20.0.50', port: 80 }] },
      'l.json': link('x', '10.0.1.0/24', { permissions: { inbound: {}, outbound: {} } }),
    });
    expect(lines).toContain('cell.json: /services/0/port: unknown field');
    expect(lines).toContain('l.json: /permissions/outbound: unknown field');
  });

  it('unknown or missing kind, and non-object items', () => {
    const { lines } = check({
      'cell.json': CELL,
      'x.json': [{ kind: 'Pear' }, { name: 'x' }, 3, { kind: `${'x'.repeat(1000)}\n` }],
    });
    expect(lines).toEqual([
      'x.json: /0/kind: unknown kind "Pear"; expected "Cell", "Peer", "CellLink" or "AccessTest"',
      'x.json: /1/kind: required field is missing',
      'x.json: /2: expected a resource object, got number',
      `x.json: /3/kind: unknown kind "${'x'.repeat(40)}…"; expected "Cell", "Peer", "CellLink" or "AccessTest"`,
    ]);
  });

  it('names with quotes, newlines, spaces, uppercase, empty or too long', () => {
    const bad = ['a"b', 'a\nb', 'a b', 'Alice', '', 'a'.repeat(33), '-a', 'a.b'];
    const { lines } = check({ 'cell.json': CELL, 'p.json': bad.map((name, i) => peer(name, `10.0.0.${i + 2}`)) });
    expect(lines).toEqual([
      `p.json: /0/name: ${NAME_RULE}, got "a\\"b"`,
      `p.json: /1/name: ${NAME_RULE}, got "a\\nb"`,
      `p.json: /2/name: ${NAME_RULE}, got "a b"`,
      `p.json: /3/name: ${NAME_RULE}, got "Alice"`,
      `p.json: /4/name: ${NAME_RULE}, got ""`,
      `p.json: /5/name: ${NAME_RULE}, got "${'a'.repeat(33)}"`,
      `p.json: /6/name: ${NAME_RULE}, got "-a"`,
      `p.json: /7/name: ${NAME_RULE}, got "a.b"`,
    ]);
  });

  it('injection attempts never pass a character-restricted field', () => {
    const { loaded, lines } = check({
      'cell.json': {
        ...CELL,
        domain: 'cell\nimport /etc/passwd',
        services: ['a" -j ACCEPT', { name: 'x', vip: '1.2.3.4 -j ACCEPT' }],
      },
      'l.json': link('x', '10.0.1.0/24', { domain: 'x.cell }', dns_ip: '10.0.1.1\u0000' }),
      'l2.json': link('y', '10.0.2.0/24', { domain: 'y.cell.', dns_ip: '10.0.2.1' }),
      'p.json': peer('p', '10.0.0.2', { route_via: 'x -j ACCEPT', service_access: ['calendar\u0000'] }),
    });
    expect(loaded.state).toBeNull();
    expect(lines).toEqual([
      'cell.json: /domain: must be a DNS name of lowercase labels [a-z0-9-] separated by dots, without a trailing dot, got "cell\\nimport /etc/passwd"',
      `cell.json: /services/0: ${NAME_RULE}, got "a\\" -j ACCEPT"`,
      'cell.json: /services/1/vip: must be a dotted-quad IPv4 address, e.g. 10.0.0.2, got "1.2.3.4 -j ACCEPT"',
      'l.json: /domain: must be a DNS name of lowercase labels [a-z0-9-] separated by dots, without a trailing dot, got "x.cell }"',
      'l.json: /dns_ip: must be a dotted-quad IPv4 address, e.g. 10.0.0.2, got "10.0.1.1\\u0000"',
      'l2.json: /domain: must be a DNS name of lowercase labels [a-z0-9-] separated by dots, without a trailing dot, got "y.cell."',
      `p.json: /service_access/0: ${NAME_RULE}, got "calendar\\u0000"`,
      `p.json: /route_via: ${NAME_RULE}, got "x -j ACCEPT"`,
      '.: /: no valid Cell resource: nothing can be reconciled',
    ]);
  });

  it('addresses: strict dotted quads and CIDRs with host bits zero', () => {
    const { lines } = check({
      'cell.json': {
        ...CELL,
        ip_range: '172.20.0.1/16',
        peer_subnet: '10.0.0.0/33',
        upstream_dns: ['8.8.8.08', '1.1.1'],
      },
    });
    expect(lines).toEqual([
      'cell.json: /ip_range: must be an IPv4 network in CIDR form with host bits zero, e.g. 10.0.0.0/24, got "172.20.0.1/16"',
      'cell.json: /peer_subnet: must be an IPv4 network in CIDR form with host bits zero, e.g. 10.0.0.0/24, got "10.0.0.0/33"',
      'cell.json: /upstream_dns/0: must be a dotted-quad IPv4 address, e.g. 10.0.0.2, got "8.8.8.08"',
      'cell.json: /upstream_dns/1: must be a dotted-quad IPv4 address, e.g. 10.0.0.2, got "1.1.1"',
      '.: /: no valid Cell resource: nothing can be reconciled',
    ]);
  });

  it('upstream_dns holds 1 to 8 servers', () => {
    expect(check({ 'cell.json': { ...CELL, upstream_dns: [] } }).lines[0]).toBe(
      'cell.json: /upstream_dns: must have at least 1 item(s)',
    );
    expect(check({ 'cell.json': { ...CELL, upstream_dns: Array(9).fill('1.1.1.1') } }).lines[0]).toBe(
      'cell.json: /upstream_dns: must have at most 8 item(s)',
    );
  });

  it('VIPs must be usable host addresses of ip_range, and distinct', () => {
    const { lines } = check({
      'cell.json': {
        ...CELL,
        ip_range: '172.20.0.0/27',
        services: [
          'a',
          { name: 'b', vip: '172.20.0.21' },
          'c',
          { name: 'd', vip: '172.20.0.31' },
          'a',
          'f',
          'g',
          'h',
          'i',
          'j',
          'k',
        ],
      },
    });
    expect(lines).toEqual([
      'cell.json: /services/1/vip: VIP 172.20.0.21 is also the VIP of service "a"',
      'cell.json: /services/3/vip: VIP 172.20.0.31 is the broadcast address of ip_range 172.20.0.0/27',
      'cell.json: /services/4: duplicate service "a"',
      'cell.json: /services/10: VIP 172.20.0.31 is the broadcast address of ip_range 172.20.0.0/27',
      'cell.json: /services/10: VIP 172.20.0.31 is also the VIP of service "d"',
      '.: /: no valid Cell resource: nothing can be reconciled',
    ]);
  });

  it('explicit and computed VIPs', () => {
    const { loaded } = check({
      'cell.json': { ...CELL, ip_range: '192.168.8.0/24', services: ['a', { name: 'b', vip: '192.168.8.200' }, 'c'] },
    });
    expect(loaded.state?.cell.services).toEqual([
      { name: 'a', vip: '192.168.8.21' },
      { name: 'b', vip: '192.168.8.200' },
      { name: 'c', vip: '192.168.8.23' },
    ]);
  });

  it('overlapping subnets', () => {
    const { loaded, lines } = check({
      'cell.json': { ...CELL, peer_subnet: '172.20.5.0/24' },
    });
    expect(lines[0]).toBe('cell.json: /peer_subnet: overlaps ip_range 172.20.0.0/16');
    expect(loaded.state).toBeNull();

    const links = check({
      'cell.json': CELL,
      'cells/a.json': link('a', '10.0.0.0/16'),
      'cells/b.json': link('b', '10.1.0.0/16'),
      'cells/c.json': link('c', '10.1.2.0/24'),
      'cells/d.json': link('d', '172.20.128.0/17'),
    });
    expect(links.lines).toEqual([
      'cells/a.json: /vpn_subnet: overlaps peer_subnet 10.0.0.0/24 of the Cell',
      'cells/d.json: /vpn_subnet: overlaps ip_range 172.20.0.0/16 of the Cell',
      'cells/c.json: /vpn_subnet: overlaps vpn_subnet 10.1.0.0/16 of CellLink/b (cells/b.json)',
    ]);
    expect(links.loaded.state?.links.map((l) => l.name)).toEqual(['b']);
  });

  it('duplicate peer IPs: the later file is charged', () => {
    const { loaded, lines } = check({
      'cell.json': CELL,
      'a.json': peer('a', '10.0.0.2'),
      'b.json': peer('b', '10.0.0.2'),
    });
    expect(lines).toEqual(['b.json: /ip: IP 10.0.0.2 is used by two peers: also by Peer/a in a.json']);
    expect(loaded.state?.peers.map((p) => p.name)).toEqual(['a']);
  });

  it('duplicate names, across files and inside one', () => {
    expect(
      check({ 'cell.json': CELL, 'a.json': peer('a', '10.0.0.2'), 'b.json': peer('a', '10.0.0.3') }).lines,
    ).toEqual(['b.json: /name: name Peer/a is used twice: also by Peer/a in a.json']);
    expect(check({ 'cell.json': CELL, 'l.json': [link('x', '10.0.1.0/24'), link('x', '10.0.2.0/24')] }).lines).toEqual([
      'l.json: /1/name: name CellLink/x is used twice: also by CellLink/x in l.json',
    ]);
    // One name for a Peer and a CellLink is fine: names are unique per kind.
    expect(check({ 'cell.json': CELL, 'a.json': [peer('x', '10.0.0.2'), link('x', '10.0.1.0/24')] }).lines).toEqual([]);
  });

  it("a DNS zone forwarded twice, or the Cell's own zone forwarded (CoreDNS would refuse the Corefile)", () => {
    const dns = (domain: string) => ({ domain, dns_ip: '10.0.1.1' });
    expect(
      check({
        'cell.json': CELL,
        'l.json': [link('a', '10.0.1.0/24', dns('x.cell')), link('b', '10.0.2.0/24', dns('x.cell'))],
      }).lines,
    ).toEqual(['l.json: /1/domain: DNS zone x.cell is forwarded twice: also by CellLink/a in l.json']);
    const own = check({ 'cell.json': CELL, 'l.json': link('a', '10.0.1.0/24', dns('cell')) });
    expect(own.lines).toEqual(["l.json: /domain: cell is the Cell's own zone"]);
    expect(own.loaded.state?.links).toEqual([]);
  });

  it('CellLinks whose chain names collide', () => {
    // A long name is cut to 10 characters plus its hash; a 19-character name can spell the same chain.
    const long = 'averyveryverylongcellname';
    const short = cellChainName(long).slice(CELL_CHAIN_PREFIX.length);
    expect(short).toMatch(/^averyveryv-[0-9a-f]{8}$/);
    const { loaded, lines } = check({
      'cell.json': CELL,
      'l.json': [link(long, '10.0.1.0/24'), link(short, '10.0.2.0/24')],
    });
    expect(lines).toEqual([
      `l.json: /1/name: chain name ${cellChainName(long)} of two CellLinks collides: also by CellLink/${long} in l.json`,
    ]);
    expect(loaded.state).not.toBeNull();
  });

  it('a peer outside peer_subnet, or on its network or broadcast address', () => {
    const { lines } = check({
      'cell.json': CELL,
      'a.json': [peer('a', '10.0.1.2'), peer('b', '10.0.0.0'), peer('c', '10.0.0.255')],
    });
    expect(lines).toEqual([
      'a.json: /0/ip: 10.0.1.2 is outside peer_subnet 10.0.0.0/24 of the Cell',
      'a.json: /1/ip: 10.0.0.0 is the network address of peer_subnet 10.0.0.0/24 of the Cell',
      'a.json: /2/ip: 10.0.0.255 is the broadcast address of peer_subnet 10.0.0.0/24 of the Cell',
    ]);
  });

  it('route_via to a missing link or a link without wg_ip', () => {
    const { loaded, lines } = check({
      'cell.json': CELL,
      'a.json': peer('a', '10.0.0.2', { route_via: 'nope' }),
      'b.json': peer('b', '10.0.0.3', { route_via: 'x' }),
      'c.json': peer('c', '10.0.0.4', { route_via: 'y' }),
      'l.json': [link('x', '10.0.1.0/24'), link('y', '10.0.2.0/24', { wg_ip: '10.0.2.1' })],
    });
    expect(lines).toEqual([
      'a.json: /route_via: no CellLink named "nope"',
      'b.json: /route_via: CellLink "x" has no wg_ip to route via',
    ]);
    expect(loaded.state?.peers.map((p) => [p.name, p.route_via])).toEqual([['c', 'y']]);
  });

  it('a wg_ip that cannot be a next hop: unspecified, multicast, broadcast, loopback, the ends of vpn_subnet, inside peer_subnet', () => {
    const { loaded, lines } = check({
      'cell.json': CELL,
      'l.json': [
        link('a', '10.0.1.0/24', { wg_ip: '0.0.0.0' }),
        link('b', '10.0.2.0/24', { wg_ip: '224.0.0.1' }),
        link('c', '10.0.3.0/24', { wg_ip: '255.255.255.255' }),
        link('d', '10.0.4.0/24', { wg_ip: '127.0.0.1' }),
        link('e', '10.0.5.0/24', { wg_ip: '10.0.5.0' }),
        link('f', '10.0.6.0/24', { wg_ip: '10.0.6.255' }),
      ],
      'g.json': link('g', '10.0.7.0/24', { wg_ip: '10.0.0.9' }),
      'h.json': link('h', '10.0.8.0/24', { wg_ip: '10.0.8.1' }),
    });
    expect(lines).toEqual([
      'l.json: /0/wg_ip: 0.0.0.0 is the unspecified address: it cannot be a next hop',
      'l.json: /1/wg_ip: 224.0.0.1 is a multicast address: it cannot be a next hop',
      'l.json: /2/wg_ip: 255.255.255.255 is the broadcast address: it cannot be a next hop',
      'l.json: /3/wg_ip: 127.0.0.1 is a loopback address: it cannot be a next hop',
      'l.json: /4/wg_ip: 10.0.5.0 is the network address of vpn_subnet 10.0.5.0/24: it cannot be a next hop',
      'l.json: /5/wg_ip: 10.0.6.255 is the broadcast address of vpn_subnet 10.0.6.0/24: it cannot be a next hop',
      "g.json: /wg_ip: 10.0.0.9 is inside the Cell's peer_subnet 10.0.0.0/24: it cannot be a next hop",
    ]);
    expect(loaded.state?.links.map((l) => l.name)).toEqual(['h']);
  });

  it("a VIP on Docker's gateway (the first host address of ip_range)", () => {
    const { lines } = check({
      'cell.json': {
        ...CELL,
        services: [
          { name: 'calendar', vip: '172.20.0.10' },
          { name: 'files', vip: '172.20.0.1' },
        ],
      },
    });
    expect(lines).toEqual([
      "cell.json: /services/1/vip: VIP 172.20.0.1 is the first host address of ip_range 172.20.0.0/16, Docker's gateway",
      '.: /: no valid Cell resource: nothing can be reconciled',
    ]);
  });

  it('unknown services in service_access and permissions.inbound', () => {
    const { lines } = check({
      'cell.json': CELL,
      'a.json': peer('a', '10.0.0.2', { service_access: ['calendar', 'chat', 'calendar'] }),
      'b.json': peer('b', '10.0.0.3', { service_access: ['chat'] }),
      'l.json': link('x', '10.0.1.0/24', { permissions: { inbound: { chat: true, 'Bad Key': true } } }),
      'm.json': link('y', '10.0.2.0/24', { permissions: { inbound: { chat: true } } }),
    });
    expect(lines).toEqual([
      'a.json: /service_access/2: duplicate service',
      `l.json: /permissions/inbound/Bad Key: invalid key: ${NAME_RULE}`,
      'b.json: /service_access/0: unknown service "chat"; the Cell has calendar, files, mail, webdav',
      'm.json: /permissions/inbound/chat: unknown service "chat"',
    ]);
  });

  it('domain and dns_ip come together', () => {
    expect(check({ 'cell.json': CELL, 'l.json': link('x', '10.0.1.0/24', { domain: 'x.cell' }) }).lines).toEqual([
      'l.json: /dns_ip: domain and dns_ip must be set together (or both null)',
    ]);
  });

  it('exactly one Cell', () => {
    const two = check({ 'cell.json': CELL, 'other.json': { kind: 'Cell', name: 'other' } });
    expect(two.lines).toEqual(['other.json: /kind: there must be exactly one Cell; Cell/home is in cell.json']);
    expect(two.loaded.state?.cell.name).toBe('home');

    const none = check({ 'a.json': peer('a', '10.0.0.2') });
    expect(none.lines).toEqual(['.: /: no valid Cell resource: nothing can be reconciled']);
    expect(none.loaded.state).toBeNull();
  });

  it('an empty state (no files at all)', () => {
    const { loaded, lines } = check({});
    expect(lines).toEqual(['.: /: no valid Cell resource: nothing can be reconciled']);
    expect(loaded.state).toBeNull();
    expect(loaded.unresolvedFiles).toEqual([]);
  });

  it('an empty array is a valid, empty file', () => {
    const { loaded, lines } = check({ 'cell.json': CELL, 'peers/none.json': [] });
    expect(lines).toEqual([]);
    expect(loaded.fileResources.get('peers/none.json')).toEqual([]);
  });

  it('a UTF-8 BOM is ignored', () => {
    const { loaded, lines } = check({ 'cell.json': `\ufeff${JSON.stringify(CELL)}` });
    expect(lines).toEqual([]);
    expect(loaded.state?.cell.name).toBe('home');
  });

  it('deeply nested junk', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const nestedField = `{"kind":"Peer","name":"a","ip":"10.0.0.2","service_access":${deep}}`;
    const { lines } = check({
      'cell.json': CELL,
      'a.json': deep,
      'b.json': nestedField,
      'c.json': `{"kind":"Cell","name":"x","junk":${deep}}`,
    });
    expect(lines).toEqual([
      'a.json: /0: expected a resource object, got array',
      'b.json: /service_access/0: expected string, got array',
      'c.json: /junk: unknown field',
    ]);
  });

  it('a huge value is never echoed whole', () => {
    const { lines } = check({
      'cell.json': { ...CELL, domain: 'x'.repeat(100_000) },
      [`${'k'.repeat(500)}.json`]: { [`${'z'.repeat(10_000)}`]: 1 },
    });
    for (const line of lines) expect(line.length).toBeLessThan(1200);
    expect(lines[0]).toContain(`got "${'x'.repeat(40)}…"`);
  });
});
