import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Facts, LayoutConfig } from '../model/facts.js';
import type { ObservedCell } from '../model/observed-cell.js';
import { parseIPv4 } from '../model/ipv4.js';
import { parseIptablesSave } from '../parse/parse-iptables-save.js';
import { parseIpAddr, parseIpRoutes, parseIpRules } from '../parse/parse-ip-json.js';
import type { Observed } from './observe-cell.js';

/**
 * Reads a live cell saved to files, for `plan --from DIR`:
 *   iptables-save.txt   `iptables-save` in the wireguard target
 *   ip-rule.json        `ip -j rule`
 *   ip-route.json       `ip -j route show table all`
 *   ip-addr.json        `ip -j addr show dev eth0` in the caddy target
 *   Corefile            the Corefile
 *   api-ip.txt          the api container's address
 * A missing file reads as an empty part (a fresh namespace, no Corefile yet).
 */
export const SAVED_FILES = {
  iptables: 'iptables-save.txt',
  rules: 'ip-rule.json',
  routes: 'ip-route.json',
  addresses: 'ip-addr.json',
  corefile: 'Corefile',
  apiIp: 'api-ip.txt',
} as const;

async function readOptional(dir: string, name: string): Promise<string | null> {
  try {
    return await readFile(join(dir, name), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function named<T>(
  file: string,
  result: { ok: true; value: T } | { ok: false; error: string },
): { ok: true; value: T } | { ok: false; error: string } {
  return result.ok ? result : { ok: false, error: `${file}: ${result.error}` };
}

export async function observeSaved(dir: string, layout: LayoutConfig): Promise<Observed> {
  const [iptablesText = null, rulesText = null, routesText = null, addrText = null, corefile = null, apiIpText = null] =
    await Promise.all(
      [
        SAVED_FILES.iptables,
        SAVED_FILES.rules,
        SAVED_FILES.routes,
        SAVED_FILES.addresses,
        SAVED_FILES.corefile,
        SAVED_FILES.apiIp,
      ].map((name) => readOptional(dir, name)),
    );
  const iptables = parseIptablesSave(iptablesText ?? '');
  const observed: ObservedCell = {
    iptables: iptables.ok
      ? { ok: true, value: iptables.value }
      : { ok: false, error: `${SAVED_FILES.iptables}: ${iptables.error}` },
    policyRules: named(SAVED_FILES.rules, parseIpRules(rulesText ?? '[]')),
    routes: named(SAVED_FILES.routes, parseIpRoutes(routesText ?? '[]')),
    addresses: named(SAVED_FILES.addresses, parseIpAddr(addrText ?? '[]', layout.caddyInterface)),
    corefile: { ok: true, value: corefile },
  };
  const apiIp = apiIpText?.trim() || null;
  if (apiIp !== null && parseIPv4(apiIp) === null) throw new Error(`${SAVED_FILES.apiIp}: not an IPv4 address`);
  const facts: Facts = { apiIp };
  return { observed, facts };
}
