/** Addresses, policy rules and routes as plain data, for the targets' `ip` state. */

/** Routes and policy rules we own carry this protocol number; nothing else is ours. */
export const OWNED_ROUTE_PROTOCOL = 252;

export interface AddressSpec {
  /** Dotted IPv4 address. */
  readonly address: string;
  readonly prefixlen: number;
  /** `<dev>:pic` for addresses we own. */
  readonly label: string;
}

export interface ObservedAddress {
  readonly address: string;
  readonly prefixlen: number;
  /** The interface name when the address has no label of its own. */
  readonly label: string;
  /** Set when the kernel lists it as a secondary address of its subnet; absent for a primary. */
  readonly secondary?: true;
}

export interface PolicyRuleSpec {
  readonly priority: number;
  /** Dotted IPv4 source address (a /32). */
  readonly src: string;
  /** 'main' or a numeric table id as a decimal string. */
  readonly table: string;
  /** Set for `lookup main suppress_prefixlength 0`. */
  readonly suppressPrefixlength: number | null;
}

export interface ObservedPolicyRule extends PolicyRuleSpec {
  readonly protocol: number | null;
}

export interface RouteSpec {
  /** Numeric table id as a decimal string. */
  readonly table: string;
  /** 'default' or a CIDR. */
  readonly dst: string;
  readonly gateway: string;
  readonly dev: string;
}

export interface ObservedRoute extends RouteSpec {
  readonly protocol: number | null;
  /**
   * Why the route is more than table, dst, gateway and dev can say (a multipath route, a
   * metric): it is then never deleted or replaced, since no text we write would name it
   * exactly. Absent for a route those fields describe in full.
   */
  readonly opaque?: string;
}
