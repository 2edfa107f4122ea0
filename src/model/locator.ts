import { parseIPv4 } from './ipv4.js';

/**
 * Where a role of the cell lives (DESIGN.md §7), parsed once from the config's text: the config
 * schema parses each `targets.*` field with `parseLocator`, and everything downstream takes the
 * typed value. Each role's type admits only the kinds it can use, so opening a target cannot fail.
 */
export type CommandLocator =
  | { readonly kind: 'docker'; readonly name: string }
  | { readonly kind: 'netns'; readonly name: string }
  | { readonly kind: 'local' };
export type ApiLocator = CommandLocator | { readonly kind: 'ip'; readonly address: string };
export type DnsLocator = CommandLocator | { readonly kind: 'none' };
export type Locator = ApiLocator | DnsLocator;

export const LOCATOR_ROLES = ['wireguard', 'caddy', 'dns', 'api'] as const;
export type LocatorRole = (typeof LOCATOR_ROLES)[number];

export interface LocatorByRole {
  readonly wireguard: CommandLocator;
  readonly caddy: CommandLocator;
  readonly dns: DnsLocator;
  readonly api: ApiLocator;
}

export type LocatorResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

// Container and namespace names go into argv and API paths; keep them to Docker's own name alphabet.
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

const KINDS_BY_ROLE: { readonly [R in LocatorRole]: readonly LocatorByRole[R]['kind'][] } = {
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
export function parseLocator<R extends LocatorRole>(text: string, role: R): LocatorResult<LocatorByRole[R]> {
  const allowed: readonly Locator['kind'][] = KINDS_BY_ROLE[role];
  const colon = text.indexOf(':');
  const kind = colon < 0 ? text : text.slice(0, colon);
  const rest = colon < 0 ? null : text.slice(colon + 1);
  const known = allowed.find((candidate) => candidate === kind);
  const takesArgument = known === 'docker' || known === 'netns' || known === 'ip';
  if (known === undefined || takesArgument !== (rest !== null)) {
    return fail(`unknown target locator "${text}" for ${role}; expected ${expected(allowed)}`);
  }
  const locator = argumentOf(known, rest ?? '');
  if (typeof locator === 'string')
    return fail(`bad ${locator} in target locator "${text}" for ${role}; ${HINT[locator]}`);
  // `known` is one of the role's kinds, so the locator is one the role admits.
  return { ok: true, value: locator as LocatorByRole[R] };
}

/** The locator as the config spells it (the parse is exact, so this is the text it came from). */
export function locatorText(locator: Locator): string {
  switch (locator.kind) {
    case 'docker':
    case 'netns':
      return `${locator.kind}:${locator.name}`;
    case 'ip':
      return `ip:${locator.address}`;
    case 'local':
    case 'none':
      return locator.kind;
  }
}

const HINT = { name: 'NAME must match [A-Za-z0-9][A-Za-z0-9_.-]*', address: 'expected ip:a.b.c.d' } as const;

/** The locator, or which part of it is bad. */
function argumentOf(kind: Locator['kind'], rest: string): Locator | keyof typeof HINT {
  switch (kind) {
    case 'docker':
    case 'netns':
      return NAME.test(rest) ? { kind, name: rest } : 'name';
    case 'ip':
      return parseIPv4(rest) !== null ? { kind, address: rest } : 'address';
    case 'local':
    case 'none':
      return { kind };
  }
}

function expected(kinds: readonly Locator['kind'][]): string {
  const words = kinds.map((kind) => SPELLING[kind]);
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1) ?? ''}`;
}

function fail(error: string): { readonly ok: false; readonly error: string } {
  return { ok: false, error };
}
