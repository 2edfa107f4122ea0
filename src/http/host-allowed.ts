import { isIP } from 'node:net';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);
const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/**
 * Whether a request's `Host` names the address we listen on, so a DNS-rebinding page (whose
 * Host is the attacker's name) cannot read /status from a local browser. Allowed: the loopback
 * names, the exact IP literal listened on, and, on a wildcard listen, any IP literal (a
 * rebinding needs a name); each with or without our port. An absent Host (HTTP/1.0) is no browser.
 */
export function hostAllowed(host: string | undefined, listenHost: string, port: number): boolean {
  if (host === undefined) return true;
  const parsed = splitHost(host.toLowerCase());
  if (parsed === null) return false;
  if (parsed.port !== null && parsed.port !== String(port)) return false;
  if (LOOPBACK_NAMES.has(parsed.name)) return true;
  if (isIP(parsed.name) === 0) return false;
  return WILDCARDS.has(listenHost) || parsed.name === listenHost.toLowerCase();
}

function splitHost(host: string): { name: string; port: string | null } | null {
  const match = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(host);
  if (match === null) return null;
  const name = match[1] ?? match[2] ?? '';
  // A bracketed name must be IPv6, a bare one must not be.
  if (match[1] !== undefined && isIP(name) !== 6) return null;
  return { name, port: match[3] ?? null };
}
