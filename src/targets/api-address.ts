import { locatorText, type ApiLocator } from '../model/locator.js';
import type { ApiAddressSource, Target } from '../model/target.js';
import { ExecError } from '../model/target.js';
import { dockerContainerAddress } from './docker-container.js';
import type { TargetOptions } from './exec-defaults.js';
import { createLocalTarget } from './local-target.js';
import { createNetnsTarget } from './netns-target.js';

export interface ApiAddressOptions extends TargetOptions {
  /** Interface whose address is the api's, for `netns:NAME` and `local` (default eth0). */
  readonly interface?: string;
}

/** Where the api's address comes from: fixed (`ip:`), Docker's inspect (`docker:`), or `ip -j addr` (`netns:`, `local`). */
export function createApiAddressSource(locator: ApiLocator, options?: ApiAddressOptions): ApiAddressSource {
  const text = locatorText(locator);
  switch (locator.kind) {
    case 'ip':
      return { locator: text, address: () => Promise.resolve(locator.address) };
    case 'docker':
      return { locator: text, address: (ipRange) => dockerContainerAddress(locator.name, ipRange, options?.timeoutMs) };
    case 'netns':
      return interfaceAddress(text, createNetnsTarget(locator.name, options), options?.interface ?? 'eth0');
    case 'local':
      return interfaceAddress(text, createLocalTarget(options), options?.interface ?? 'eth0');
  }
}

function interfaceAddress(text: string, target: Target, dev: string): ApiAddressSource {
  const argv = ['ip', '-j', '-4', 'addr', 'show', 'dev', dev, 'scope', 'global'];
  return {
    locator: text,
    async address(): Promise<string | null> {
      const result = await target.exec(argv);
      // A missing interface means "no address"; any other failure is not an answer.
      if (result.exitCode !== 0) {
        if (/does not exist/.test(result.stderr)) return null;
        throw new ExecError(target.locator, argv, result.exitCode, result.stderr);
      }
      return firstGlobalIPv4(result.stdout);
    },
  };
}

function firstGlobalIPv4(json: string): string | null {
  const links: unknown = JSON.parse(json);
  if (!Array.isArray(links)) return null;
  for (const link of links as { addr_info?: { family?: string; local?: string; scope?: string }[] }[]) {
    const found = link.addr_info?.find((entry) => entry.family === 'inet' && entry.scope === 'global' && entry.local);
    if (found?.local) return found.local;
  }
  return null;
}
