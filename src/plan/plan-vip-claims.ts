import type { DesiredState, Service } from '../model/desired-state.js';
import type { Facts } from '../model/facts.js';
import type { AddressSpec, ObservedAddress } from '../model/network.js';

/** An address something else in the cell already holds, and what holds it. */
export interface TakenAddress {
  readonly address: string;
  readonly holder: string;
}

/** What the plan needs to refuse a VIP another part of the cell uses. */
export interface AddressClaims {
  readonly services: readonly Service[];
  /** Addresses known from facts (the api container, the dns container). */
  readonly taken: readonly TakenAddress[];
}

export interface VipRefusals {
  /** The desired addresses left to plan. */
  readonly addresses: readonly AddressSpec[];
  /** VIPs refused, which the plan must neither add nor delete. */
  readonly refused: ReadonlySet<string>;
  readonly errors: readonly { readonly part: string; readonly error: string }[];
}

/**
 * A VIP equal to an address the cell already uses (the api's, the dns container's, caddy's own
 * primary address on its interface) would put two hosts on one address: that VIP is refused
 * with a one-line error naming its service, and gets no change at all. The others go on.
 */
export function refuseTakenVips(
  desired: readonly AddressSpec[],
  live: readonly ObservedAddress[],
  dev: string,
  claims: AddressClaims,
): VipRefusals {
  const taken = new Map<string, string>();
  for (const { address, holder } of claims.taken) taken.set(address, holder);
  for (const a of live)
    if (a.secondary !== true && a.label !== `${dev}:pic`) taken.set(a.address, `caddy's own address on ${dev}`);
  const errors: { part: string; error: string }[] = [];
  const refused = new Set<string>();
  for (const service of claims.services) {
    const holder = taken.get(service.vip);
    if (holder === undefined) continue;
    refused.add(service.vip);
    errors.push({
      part: `service ${service.name}`,
      error: `service "${service.name}": VIP ${service.vip} is ${holder}; VIP not changed`,
    });
  }
  return { addresses: desired.filter((a) => !refused.has(a.address)), refused, errors };
}

/** The claims a desired state and the observed facts make. */
export function claimsOf(state: DesiredState, facts: Facts): AddressClaims {
  const taken: TakenAddress[] = [];
  if (facts.apiIp !== null) taken.push({ address: facts.apiIp, holder: "the api container's address" });
  if (facts.dnsIp !== undefined && facts.dnsIp !== null)
    taken.push({ address: facts.dnsIp, holder: "the dns container's address" });
  return { services: state.cell.services, taken };
}
