import { parseIPv4 } from '../model/ipv4.js';
import type { ApiAddressSource, DnsReloader, Target } from '../model/target.js';
import { createApiAddressSource, type ApiAddressOptions } from './api-address.js';
import { createDnsReloader } from './dns-reloader.js';
import { createDockerTarget } from './docker-target.js';
import type { TargetOptions } from './exec-defaults.js';
import { createLocalTarget } from './local-target.js';
import { createNetnsTarget } from './netns-target.js';

/** A parsed target locator (§7). */
export type Locator =
  | { readonly kind: 'docker'; readonly name: string }
  | { readonly kind: 'netns'; readonly name: string }
  | { readonly kind: 'local' }
  | { readonly kind: 'ip'; readonly address: string }
  | { readonly kind: 'none' };

export type LocatorRole = 'wireguard' | 'caddy' | 'dns' | 'api';

export type LocatorResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

// Container and namespace names go into argv and API paths; keep them to Docker's own name alphabet.
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

const KINDS_BY_ROLE: Record<LocatorRole, readonly Locator['kind'][]> = {
  wireguard: ['docker', 'netns', 'local'],
  caddy: ['docker', 'netns', 'local'],
  dns: ['docker', 'netns', 'local', 'none'],
  api: ['docker', 'netns', 'local', 'ip'],
};

const SPELLING: Record<Locator['kind'], string> = {
  docker: 'docker:NAME',
  netns: 'netns:NAME',
  local: 'local',
  ip: 'ip:ADDR',
  none: 'none',
};

/** Parses `docker:NAME`, `netns:NAME`, `local`, `ip:ADDR` or `none`, as far as the role allows. */
export function parseLocator(text: string, role: LocatorRole): LocatorResult<Locator> {
  const allowed = KINDS_BY_ROLE[role];
  const colon = text.indexOf(':');
  const kind = colon < 0 ? text : text.slice(0, colon);
  const rest = colon < 0 ? null : text.slice(colon + 1);
  const known = allowed.find((candidate) => candidate === kind);
  const takesArgument = known === 'docker' || known === 'netns' || known === 'ip';
  if (known === undefined || takesArgument !== (rest !== null)) {
    return fail(`unknown target locator "${text}" for ${role}; expected ${expected(allowed)}`);
  }
  switch (known) {
    case 'docker':
    case 'netns':
      if (rest === null || !NAME.test(rest)) {
        return fail(`bad name in target locator "${text}" for ${role}; NAME must match [A-Za-z0-9][A-Za-z0-9_.-]*`);
      }
      return { ok: true, value: { kind: known, name: rest } };
    case 'ip':
      if (rest === null || parseIPv4(rest) === null) {
        return fail(`bad address in target locator "${text}" for ${role}; expected ip:a.b.c.d`);
      }
      return { ok: true, value: { kind: 'ip', address: rest } };
    case 'local':
    case 'none':
      return { ok: true, value: { kind: known } };
  }
}

/** The target where the wireguard or caddy role's commands run. */
export function resolveTarget(text: string, role: 'wireguard' | 'caddy', options?: TargetOptions): LocatorResult<Target> {
  const parsed = parseLocator(text, role);
  if (!parsed.ok) return parsed;
  const locator = parsed.value;
  switch (locator.kind) {
    case 'docker':
      return { ok: true, value: createDockerTarget(locator.name, options) };
    case 'netns':
      return { ok: true, value: createNetnsTarget(locator.name, options) };
    case 'local':
      return { ok: true, value: createLocalTarget(options) };
    case 'ip':
    case 'none':
      return fail(`target locator "${text}" cannot run commands`);
  }
}

export function resolveApiAddressSource(text: string, options?: ApiAddressOptions): LocatorResult<ApiAddressSource> {
  const parsed = parseLocator(text, 'api');
  return parsed.ok ? { ok: true, value: createApiAddressSource(text, parsed.value, options) } : parsed;
}

export function resolveDnsReloader(text: string, options?: TargetOptions): LocatorResult<DnsReloader> {
  const parsed = parseLocator(text, 'dns');
  return parsed.ok ? { ok: true, value: createDnsReloader(text, parsed.value, options) } : parsed;
}

function expected(kinds: readonly Locator['kind'][]): string {
  const words = kinds.map((kind) => SPELLING[kind]);
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1) ?? ''}`;
}

function fail(error: string): { readonly ok: false; readonly error: string } {
  return { ok: false, error };
}
