import { describe, expect, it } from 'vitest';
import type { AddressSpec, ObservedAddress } from '../../../src/model/network.js';
import { planAddresses } from '../../../src/plan/plan-addresses.js';

const vip = (n: number, prefixlen = 16): AddressSpec => ({ address: `172.20.0.${n}`, prefixlen, label: 'eth0:pic' });
const live = (n: number, prefixlen: number, label: string): ObservedAddress => ({
  address: `172.20.0.${n}`,
  prefixlen,
  label,
});
const primary = live(3, 16, 'eth0');

describe('planAddresses', () => {
  it('adds missing VIPs with our label', () => {
    expect(planAddresses([vip(21), vip(22)], [primary, live(21, 16, 'eth0:pic')], 'eth0')).toEqual([
      { kind: 'add-address', dev: 'eth0', address: vip(22), reason: 'address missing' },
    ]);
  });

  it("adopts the seed's unlabelled VIPs without touching them", () => {
    const seed = [primary, live(21, 16, 'eth0'), live(22, 16, 'eth0'), live(23, 16, 'eth0'), live(24, 16, 'eth0')];
    expect(planAddresses([vip(21), vip(22), vip(23), vip(24)], seed, 'eth0')).toEqual([]);
  });

  it('deletes only our own addresses that are not desired', () => {
    const observed = [primary, live(24, 16, 'eth0:pic'), live(25, 16, 'eth0'), live(26, 16, 'eth0:other')];
    expect(planAddresses([], observed, 'eth0')).toEqual([
      {
        kind: 'delete-address',
        dev: 'eth0',
        address: { address: '172.20.0.24', prefixlen: 16, label: 'eth0:pic' },
        reason: 'address not in desired state',
      },
    ]);
  });

  it('replaces our address with a different prefix, deleting first', () => {
    expect(planAddresses([vip(21, 16)], [primary, live(21, 24, 'eth0:pic')], 'eth0')).toEqual([
      { kind: 'delete-address', dev: 'eth0', address: vip(21, 24), reason: 'prefix /24, expected /16' },
      { kind: 'add-address', dev: 'eth0', address: vip(21, 16), reason: 'address present only as /24' },
    ]);
  });

  it('adds next to a foreign address with a different prefix, which it leaves alone', () => {
    expect(planAddresses([vip(21, 16)], [live(21, 24, 'eth0')], 'eth0')).toEqual([
      { kind: 'add-address', dev: 'eth0', address: vip(21, 16), reason: 'address present only as /24' },
    ]);
  });

  it('uses the configured interface for our label', () => {
    const ens = { address: '172.20.0.21', prefixlen: 16, label: 'ens4:pic' };
    expect(planAddresses([], [{ ...ens, label: 'eth0:pic' }, ens], 'ens4')).toEqual([
      { kind: 'delete-address', dev: 'ens4', address: ens, reason: 'address not in desired state' },
    ]);
  });
});
