import type { ServiceEntry } from './infer-services.js';

/**
 * The state `import` writes, as the state files hold it (DESIGN §3): each object is
 * exactly the JSON of one file, without its `$schema`. Optional fields are left out when
 * the live cell does not say, so the loader's defaults apply.
 */
export interface ImportedCell {
  readonly kind: 'Cell';
  readonly name: string;
  readonly domain: string;
  readonly ip_range: string;
  readonly peer_subnet: string;
  readonly services: readonly ServiceEntry[];
  readonly upstream_dns: readonly string[];
  readonly unknown_peers: 'drop';
}

export interface ImportedPeer {
  readonly kind: 'Peer';
  readonly name: string;
  readonly ip: string;
  readonly internet_access: boolean;
  readonly service_access: readonly string[];
  readonly peer_access: boolean;
  readonly route_via?: string;
}

export interface ImportedLink {
  readonly kind: 'CellLink';
  readonly name: string;
  readonly vpn_subnet: string;
  readonly domain?: string;
  readonly dns_ip?: string;
  readonly wg_ip?: string;
  readonly permissions: { readonly inbound: Readonly<Record<string, boolean>> };
  readonly remote_exit_relay_active: boolean;
}

export interface ImportedState {
  readonly cell: ImportedCell;
  /** Sorted by IP. */
  readonly peers: readonly ImportedPeer[];
  /** Sorted by name. */
  readonly links: readonly ImportedLink[];
}
