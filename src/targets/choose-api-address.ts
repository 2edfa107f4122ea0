import { cidrContains, parseCidr, parseIPv4 } from '../model/ipv4.js';

/** One of a container's Docker networks and its IPv4 address there ('' when it has none). */
export interface NetworkAddress {
  readonly network: string;
  readonly address: string;
}

/**
 * The api container's address for the cell's rules: the one inside the Cell's `ip_range` (the
 * network the wireguard container reaches it on). A container on Docker's default `bridge` and
 * on the cell's network must not get the `bridge` address because that name sorts first.
 * null when the container has no address at all (stopped); throws a one-line error naming the
 * container and its networks when none, or more than one, is inside `ip_range`, so the api
 * rules are refused for the pass and what is live stays. Without an `ip_range` (import, before
 * a Cell exists) the first network by name, as before. Pure.
 */
export function chooseApiAddress(
  locator: string,
  networks: readonly NetworkAddress[],
  ipRange: string | null,
): string | null {
  const assigned = networks
    .filter((n) => n.address !== '')
    .sort((a, b) => (a.network < b.network ? -1 : a.network > b.network ? 1 : 0));
  if (assigned.length === 0) return null;
  if (ipRange === null) return assigned[0]?.address ?? null;
  const range = parseCidr(ipRange, false);
  const inside = assigned.filter((n) => {
    const address = parseIPv4(n.address);
    return range !== null && address !== null && cidrContains(range, address);
  });
  if (inside.length === 1) return inside[0]?.address ?? null;
  const listed = assigned.map((n) => `${n.network} ${n.address}`).join(', ');
  const count = inside.length === 0 ? 'no address' : `${inside.length} addresses`;
  throw new Error(
    `${locator}: ${count} inside the Cell's ip_range ${ipRange} (networks: ${listed}); api rules left as they are`,
  );
}
