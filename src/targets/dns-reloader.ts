import type { DnsReloader } from '../model/target.js';
import { dockerSignal } from './docker-container.js';
import type { TargetOptions } from './exec-defaults.js';
import type { Locator } from './resolve-locator.js';

/**
 * `docker:NAME` sends SIGUSR1 to CoreDNS (it reloads its Corefile). `none`, `netns:NAME` and `local`
 * do nothing: there is no CoreDNS process a namespace or the host can name, so tests that run the
 * controller against namespaces read the Corefile themselves instead of relying on a reload.
 */
export function createDnsReloader(text: string, locator: Locator, options?: TargetOptions): DnsReloader {
  if (locator.kind === 'docker') {
    return { locator: text, reload: () => dockerSignal(locator.name, 'SIGUSR1', options?.timeoutMs) };
  }
  return { locator: text, reload: () => Promise.resolve() };
}
