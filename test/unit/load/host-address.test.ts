import { describe, expect, it } from 'vitest';
import { hostAddressProblem } from '../../../src/load/host-address.js';
import { validateState } from '../../../src/load/validate-state.js';
import { parseCidr, parseIPv4, type Cidr } from '../../../src/model/ipv4.js';
import { CELL, issueLines, peer, stateFiles } from './helpers.js';

const problem = (subnet: string, address: string): string | null =>
  hostAddressProblem(parseCidr(subnet) as Cidr, parseIPv4(address) ?? 0);

describe('hostAddressProblem', () => {
  it('a /30 has a network and a broadcast address; only the two between are hosts', () => {
    expect(['10.0.0.4', '10.0.0.5', '10.0.0.6', '10.0.0.7', '10.0.0.8'].map((a) => problem('10.0.0.4/30', a))).toEqual([
      'is the network address of',
      null,
      null,
      'is the broadcast address of',
      'is outside',
    ]);
  });

  it('a /31 and a /32 have neither (RFC 3021): every address inside is a host', () => {
    expect(['10.0.0.4', '10.0.0.5', '10.0.0.6'].map((a) => problem('10.0.0.4/31', a))).toEqual([
      null,
      null,
      'is outside',
    ]);
    expect(['10.0.0.4', '10.0.0.5'].map((a) => problem('10.0.0.4/32', a))).toEqual([null, 'is outside']);
  });

  it('every prefix from /0 to /30 refuses its network and broadcast address, and takes the ones next to them', () => {
    for (let prefixlen = 0; prefixlen <= 30; prefixlen++) {
      const subnet = { network: 0x0a000000 & ((prefixlen === 0 ? 0 : ~0 << (32 - prefixlen)) >>> 0), prefixlen };
      const size = 2 ** (32 - prefixlen);
      const network = subnet.network >>> 0;
      const broadcast = network + size - 1;
      expect(
        [network, network + 1, broadcast - 1, broadcast].map((a) => hostAddressProblem(subnet, a)),
        `/${prefixlen}`,
      ).toEqual(['is the network address of', null, null, 'is the broadcast address of']);
    }
  });

  it('a peer on the broadcast address of a /30 peer_subnet is refused at load', () => {
    const loaded = validateState(
      stateFiles({
        'cell.json': { ...CELL, peer_subnet: '10.0.0.0/30' },
        'peers/a.json': peer('a', '10.0.0.1'),
        'peers/b.json': peer('b', '10.0.0.3'),
      }),
    );
    expect(issueLines(loaded)).toEqual([
      expect.stringMatching(
        /^peers\/b\.json: \/ip: .*10\.0\.0\.3 is the broadcast address of peer_subnet 10\.0\.0\.0\/30/,
      ),
    ]);
  });
});
