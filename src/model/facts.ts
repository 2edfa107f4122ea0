/** Facts observed from the live cell that rendering needs, besides the desired state. */
export interface Facts {
  /** The api container's IPv4 address, or null when it cannot be found (its rules are then left out). */
  readonly apiIp: string | null;
  /** The dns container's IPv4 address, when known: a VIP must not take it. */
  readonly dnsIp?: string | null;
}

/** Names and numbers of the live layout that come from the controller config (§7). */
export interface LayoutConfig {
  /** The WireGuard interface in the wireguard target (seed: wg0). */
  readonly wireguardInterface: string;
  /** The interface towards the cell's Docker network in the wireguard target (seed: eth0). */
  readonly egressInterface: string;
  /** The interface that carries the VIPs in the caddy target (seed: eth0). */
  readonly caddyInterface: string;
  readonly apiPort: number;
}

export const DEFAULT_LAYOUT: LayoutConfig = {
  wireguardInterface: 'wg0',
  egressInterface: 'eth0',
  caddyInterface: 'eth0',
  apiPort: 3000,
};
