/**
 * The desired state after loading: validated, defaults applied, immutable.
 *
 * Field names follow the state files (and the seed's registry) so a JSON pointer
 * in an error message is also a path into these objects.
 */

export interface Service {
  readonly name: string;
  /** Dotted IPv4 address, without prefix length. */
  readonly vip: string;
}

export interface Cell {
  readonly kind: 'Cell';
  readonly name: string;
  readonly domain: string;
  /** CIDR of the cell's Docker network, e.g. 172.20.0.0/16. */
  readonly ip_range: string;
  /** CIDR of the WireGuard peers, e.g. 10.0.0.0/24. */
  readonly peer_subnet: string;
  readonly services: readonly Service[];
  readonly upstream_dns: readonly string[];
  readonly unknown_peers: 'drop' | 'accept';
}

export interface Peer {
  readonly kind: 'Peer';
  readonly name: string;
  /** Dotted IPv4 address inside the cell's peer_subnet. */
  readonly ip: string;
  readonly internet_access: boolean;
  /** Names of the services this peer may reach; defaults to all of the cell's services. */
  readonly service_access: readonly string[];
  readonly peer_access: boolean;
  /** Name of the CellLink whose cell is this peer's internet exit, or null. */
  readonly route_via: string | null;
}

export interface CellLink {
  readonly kind: 'CellLink';
  readonly name: string;
  readonly vpn_subnet: string;
  readonly domain: string | null;
  readonly dns_ip: string | null;
  readonly wg_ip: string | null;
  readonly permissions: { readonly inbound: Readonly<Record<string, boolean>> };
  readonly remote_exit_relay_active: boolean;
}

/**
 * An expectation about who reaches whom, checked by the packet model against the rendered
 * rules before anything is applied. `from`: a peer, `cell:<link>` or an IPv4 address; `to`: a
 * service, a peer, `api`, `internet`, `cell:<link>` or an IPv4 address with an optional `:port`.
 */
export interface AccessTest {
  readonly kind: 'AccessTest';
  readonly name: string;
  readonly from: string;
  readonly to: string;
  readonly expect: 'allow' | 'deny';
  readonly port?: number;
  readonly proto?: 'tcp' | 'udp';
}

export type Resource = Cell | Peer | CellLink | AccessTest;

/**
 * One load of the state folder.
 *
 * Invariant (the pipeline relies on it): a load produces its state from the previous load's with
 * immer's `produce` (src/load/produce-next.ts), so a resource whose content did not change is the
 * very same object as before, an unchanged `peers` or `links` array is the same array, and a load
 * that changed nothing returns the previous DesiredState itself. Later stages compare with `===`
 * to skip what did not change; the objects are deeply frozen, so that identity cannot go stale.
 */
export interface DesiredState {
  readonly cell: Cell;
  /** Sorted by IP, numerically. */
  readonly peers: readonly Peer[];
  /** Sorted by name. */
  readonly links: readonly CellLink[];
  /** In file order; absent when the state has none. */
  readonly tests?: readonly AccessTest[];
}
