import { readCorefileSafely } from '../observe/read-corefile-safely.js';
import type { CellTargets } from '../model/cell-targets.js';
import type { LayoutConfig } from '../model/facts.js';
import type { IptablesBackend, Observation } from '../model/observed-cell.js';
import { ProgramNotFoundError, type Target } from '../model/target.js';
import { ownBackend, parseBackendsOutput, SAVE_BOTH } from '../parse/parse-iptables-backends.js';
import { addressShow, parseAddressOutput, parseRoutingOutput, ROUTING_SHOW } from '../observe/read-live-output.js';
import type { SnapshotCell } from './plan-restore.js';

/**
 * Exactly what was live before an apply, as the tools printed it (so it can be written to the
 * status folder as is and compared byte for byte): the tables of the wireguard target read as
 * observe reads them (both tables of both iptables backends where there are two, so the restore
 * goes to the backend that holds the cell), `ip -4 -j rule` and `ip -4 -j route show table all` there, `ip -j addr` of
 * caddy's interface, and the Corefile's text (null: there was none).
 */
export interface CellSnapshot {
  readonly takenAt: string;
  readonly peerSubnet: string;
  readonly iptablesSave: string;
  readonly routing: string;
  readonly addresses: string;
  readonly corefile: string | null;
}

async function output(target: Target, argv: readonly string[], stdin?: string): Promise<string> {
  const result = await target.exec(argv, stdin === undefined ? {} : { stdin });
  if (result.exitCode !== 0)
    throw new Error(
      `${target.locator}: ${argv.join(' ')}: exit ${result.exitCode}: ${result.stderr.trim().split('\n').slice(-1)[0] ?? ''}`,
    );
  return result.stdout;
}

async function corefileText(path: string): Promise<string | null> {
  try {
    return await readCorefileSafely(path);
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
}

/** Both backends in one exec, as observe reads them; plain `iptables-save` on a target without a shell. */
async function saveTables(target: Target): Promise<string> {
  try {
    return await output(target, ['sh', '-c', SAVE_BOTH]);
  } catch (error) {
    if (!(error instanceof ProgramNotFoundError)) throw error;
    return output(target, ['iptables-save']);
  }
}

/** Throws when any part cannot be read: a window must not open without a way back. */
export async function takeSnapshot(
  targets: CellTargets,
  layout: LayoutConfig,
  peerSubnet: string,
  now: () => Date = () => new Date(),
): Promise<CellSnapshot> {
  const [iptablesSave, routing, addresses, corefile] = await Promise.all([
    saveTables(targets.wireguard),
    output(targets.wireguard, ['ip', '-4', '-j', '-batch', '-'], ROUTING_SHOW),
    output(targets.caddy, ['ip', '-j', '-batch', '-'], addressShow(layout.caddyInterface)),
    corefileText(targets.corefilePath),
  ]);
  const snapshot = { takenAt: now().toISOString(), peerSubnet, iptablesSave, routing, addresses, corefile };
  parseSnapshot(snapshot, targets, layout);
  return snapshot;
}

/** The snapshot as observations; throws on a part the parsers refuse (a damaged marker file). */
export function parseSnapshot(
  snapshot: CellSnapshot,
  targets: Pick<CellTargets, 'wireguard' | 'caddy'>,
  layout: LayoutConfig,
): SnapshotCell & { readonly backend: IptablesBackend | null } {
  const tables = parseBackendsOutput(targets.wireguard.locator, snapshot.iptablesSave);
  const routing = parseRoutingOutput(targets.wireguard.locator, snapshot.routing);
  const addresses = parseAddressOutput(targets.caddy.locator, snapshot.addresses, layout.caddyInterface);
  return {
    iptables: must(tables.iptables),
    backend: ownBackend(tables.backend),
    policyRules: must(routing.policyRules),
    routes: must(routing.routes),
    addresses: must(addresses),
    corefile: snapshot.corefile,
  };
}

function must<T>(part: Observation<T>): T {
  if (!part.ok) throw new Error(`snapshot: ${part.error}`);
  return part.value;
}
