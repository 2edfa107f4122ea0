import type { CellTargets } from '../model/cell-targets.js';
import type { Facts, LayoutConfig } from '../model/facts.js';
import { NOT_READ, type Observation, type ObservedCell } from '../model/observed-cell.js';
import type { ObservedAddress } from '../model/network.js';
import type { Target } from '../model/target.js';
import { parseIPv4 } from '../model/ipv4.js';
import { ProgramNotFoundError } from '../model/target.js';
import { parseBackendsOutput, SAVE_BOTH, type BackendsRead } from '../parse/parse-iptables-backends.js';
import { parseAddressOutput, parseRoutingOutput, ROUTING_SHOW, type RoutingObservation } from './read-live-output.js';
import { readCorefileSafely } from './read-corefile-safely.js';

/** Which parts of the cell to read; verify re-reads only what apply touched. */
export interface ObserveParts {
  readonly iptables: boolean;
  readonly routing: boolean;
  readonly addresses: boolean;
  readonly corefile: boolean;
  /** The api's address; verify renders nothing anew, so it does without. */
  readonly facts: boolean;
}

export const ALL_PARTS: ObserveParts = { iptables: true, routing: true, addresses: true, corefile: true, facts: true };

function failure(error: unknown): { ok: false; error: string } {
  return { ok: false, error: error instanceof Error ? error.message : String(error) };
}

async function run(target: Target, argv: readonly string[], stdin?: string): Promise<string> {
  const result = await target.exec(argv, stdin === undefined ? {} : { stdin });
  if (result.exitCode !== 0) {
    const reason = result.stderr.trim().split('\n').slice(-1)[0] ?? '';
    throw new Error(`${target.locator}: ${argv.join(' ')}: exit ${result.exitCode}${reason ? `: ${reason}` : ''}`);
  }
  return result.stdout;
}

const UNREAD_IPTABLES: Pick<ObservedCell, 'iptables' | 'backend'> = { iptables: NOT_READ };

/** Both backends in one exec; a target without a shell is read with plain `iptables-save`. */
async function observeIptables(target: Target): Promise<BackendsRead> {
  try {
    let output: string;
    try {
      output = await run(target, ['sh', '-c', SAVE_BOTH]);
    } catch (error) {
      if (!(error instanceof ProgramNotFoundError)) throw error;
      output = await run(target, ['iptables-save']);
    }
    return parseBackendsOutput(target.locator, output);
  } catch (error) {
    return { iptables: failure(error), backend: { writes: null, other: null } };
  }
}

/** Policy rules and routes in one `ip -j -batch -`: two JSON documents, one per line. */
async function observeRouting(target: Target): Promise<RoutingObservation> {
  try {
    return parseRoutingOutput(target.locator, await run(target, ['ip', '-4', '-j', '-batch', '-'], ROUTING_SHOW));
  } catch (error) {
    return { policyRules: failure(error), routes: failure(error) };
  }
}

async function observeAddresses(target: Target, dev: string): Promise<Observation<readonly ObservedAddress[]>> {
  try {
    return parseAddressOutput(target.locator, await run(target, ['ip', '-j', 'addr', 'show', 'dev', dev]), dev);
  } catch (error) {
    return failure(error);
  }
}

export async function readCorefile(path: string): Promise<Observation<string | null>> {
  try {
    return { ok: true, value: await readCorefileSafely(path) };
  } catch (error) {
    return { ok: false, error: `${path}: ${(error as Error).message}` };
  }
}

async function observeFacts(targets: CellTargets, ipRange: IpRange): Promise<{ facts: Facts; error: string | null }> {
  // The dns address only keeps VIPs off it: a lookup that fails claims nothing and blocks nothing.
  const dnsIp = (async () => {
    const address = await targets.dnsAddress?.address(await ipRange).catch(() => null);
    return address !== undefined && address !== null && parseIPv4(address) !== null ? address : null;
  })();
  try {
    const apiIp = await targets.api.address(await ipRange);
    // It goes into iptables-restore input: only a strict dotted quad may.
    if (apiIp !== null && parseIPv4(apiIp) === null)
      return {
        facts: { apiIp: null },
        error: `${targets.api.locator}: not an IPv4 address: ${JSON.stringify(apiIp.slice(0, 64))}`,
      };
    return { facts: { apiIp, dnsIp: await dnsIp }, error: null };
  } catch (error) {
    const message = (error as Error).message;
    return {
      facts: { apiIp: null },
      error: message.startsWith(targets.api.locator) ? message : `${targets.api.locator}: ${message}`,
    };
  }
}

/** The Cell's ip_range (where the api is reached), or a promise of it while the state is still loading. */
export type IpRange = string | null | Promise<string | null>;

export interface Observed {
  readonly observed: ObservedCell;
  readonly facts: Facts;
}

/**
 * Reads the live cell with a constant number of commands, whatever its size:
 * one shell printing both iptables backends and one `ip -batch` in the wireguard target, one `ip addr` in caddy,
 * one file read, one api address lookup. The parts are read concurrently.
 */
export async function observeCell(
  targets: CellTargets,
  layout: LayoutConfig,
  parts: ObserveParts = ALL_PARTS,
  ipRange: IpRange = null,
): Promise<Observed> {
  const [iptables, routing, addresses, corefile, facts] = await Promise.all([
    parts.iptables ? observeIptables(targets.wireguard) : UNREAD_IPTABLES,
    parts.routing ? observeRouting(targets.wireguard) : { policyRules: NOT_READ, routes: NOT_READ },
    parts.addresses ? observeAddresses(targets.caddy, layout.caddyInterface) : NOT_READ,
    parts.corefile ? readCorefile(targets.corefilePath) : NOT_READ,
    parts.facts ? observeFacts(targets, ipRange) : Promise.resolve({ facts: { apiIp: null }, error: null }),
  ]);
  // Without the api's address its rules would render empty and be deleted: when the lookup itself
  // failed (not "no such container", which is null), iptables counts as unobserved this pass.
  return {
    observed: {
      iptables: facts.error === null ? iptables.iptables : { ok: false, error: facts.error },
      ...(iptables.backend === undefined ? {} : { backend: iptables.backend }),
      policyRules: routing.policyRules,
      routes: routing.routes,
      addresses,
      corefile,
    },
    facts: facts.facts,
  };
}
