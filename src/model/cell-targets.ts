import type { ApiAddressSource, DnsReloader, Target } from './target.js';

/** The live parts of one cell, resolved from the controller config's locators. */
export interface CellTargets {
  readonly wireguard: Target;
  readonly caddy: Target;
  readonly api: ApiAddressSource;
  readonly dns: DnsReloader;
  /** The dns container's address, so no VIP takes it; absent (or null) when dns is `none`. */
  readonly dnsAddress?: ApiAddressSource;
  /** Path of the Corefile on the controller's own file system (the folder is shared with the dns container). */
  readonly corefilePath: string;
}
