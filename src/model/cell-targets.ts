import type { ApiAddressSource, DnsReloader, Target } from './target.js';

/** The live parts of one cell, resolved from the controller config's locators. */
export interface CellTargets {
  readonly wireguard: Target;
  readonly caddy: Target;
  readonly api: ApiAddressSource;
  readonly dns: DnsReloader;
  /** Path of the Corefile on the controller's own file system (the folder is shared with the dns container). */
  readonly corefilePath: string;
}
