import { cidrContains, maskOf, type Cidr } from '../model/ipv4.js';

const MAX_IPV4 = 0xffffffff;

/** Why an address is no usable host of a subnet (outside, network or broadcast address), or null. */
export function hostAddressProblem(subnet: Cidr, address: number): string | null {
  if (address > MAX_IPV4 || !cidrContains(subnet, address)) return 'is outside';
  // /31 and /32 have no network or broadcast address (RFC 3021).
  if (subnet.prefixlen >= 31) return null;
  if (address === subnet.network) return 'is the network address of';
  if (address === (subnet.network | ~maskOf(subnet.prefixlen)) >>> 0) return 'is the broadcast address of';
  return null;
}
