import type { AddressSpec, ObservedAddress } from '../model/network.js';
import type { AddressAction } from '../model/plan.js';

/**
 * The VIP changes on the caddy interface `dev`.
 *
 * A desired address counts as present whatever its label, so the seed's unlabelled VIPs
 * are adopted without a gap in service. Only addresses labelled `<dev>:pic` are ours to
 * delete. Deletions come first, then additions, each in input order.
 */
export function planAddresses(
  desired: readonly AddressSpec[],
  observed: readonly ObservedAddress[],
  dev: string,
): AddressAction[] {
  const ownLabel = `${dev}:pic`;
  const key = (a: { address: string; prefixlen: number }): string => `${a.address}/${a.prefixlen}`;
  const wanted = new Map(desired.map((a) => [key(a), a]));
  const present = new Set(observed.map(key));
  const prefixesOf = (address: string, list: readonly { address: string; prefixlen: number }[]): string =>
    list
      .filter((a) => a.address === address)
      .map((a) => `/${a.prefixlen}`)
      .join(', ');

  const deletes: AddressAction[] = [];
  for (const live of observed) {
    if (live.label !== ownLabel || wanted.has(key(live))) continue;
    const expected = prefixesOf(live.address, desired);
    const reason = expected ? `prefix /${live.prefixlen}, expected ${expected}` : 'address not in desired state';
    deletes.push({
      kind: 'delete-address',
      dev,
      address: { address: live.address, prefixlen: live.prefixlen, label: live.label },
      reason,
    });
  }
  const adds: AddressAction[] = [];
  for (const address of wanted.values()) {
    if (present.has(key(address))) continue;
    const other = prefixesOf(address.address, observed);
    adds.push({
      kind: 'add-address',
      dev,
      address,
      reason: other ? `address present only as ${other}` : 'address missing',
    });
  }
  return [...deletes, ...adds];
}
