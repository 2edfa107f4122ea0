import { locatorText, type DnsLocator } from '../model/locator.js';
import type { DnsReloader } from '../model/target.js';
import { dockerSignal } from './docker-container.js';
import type { TargetOptions } from './exec-defaults.js';

/**
 * `docker:NAME` sends SIGUSR1 to CoreDNS (it reloads its Corefile). `none`, `netns:NAME` and `local`
 * do nothing: there is no CoreDNS process a namespace or the host can name, so tests that run the
 * controller against namespaces read the Corefile themselves instead of relying on a reload.
 */
export function createDnsReloader(locator: DnsLocator, options?: TargetOptions): DnsReloader {
  const text = locatorText(locator);
  if (locator.kind === 'docker')
    return trackingReloads(text, () => dockerSignal(locator.name, 'SIGUSR1', options?.timeoutMs));
  return trackingReloads(text, () => Promise.resolve());
}

/**
 * Remembers a reload that failed: the file on disk then already matches the desired text, so
 * no later plan would ask for it again, and CoreDNS would keep the old config for good.
 */
export function trackingReloads(locator: string, send: () => Promise<void>): DnsReloader {
  let pending = false;
  return {
    locator,
    get reloadPending() {
      return pending;
    },
    async reload() {
      pending = true;
      await send();
      pending = false;
    },
  };
}
