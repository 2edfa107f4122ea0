import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DesiredState } from '../../src/model/desired-state.js';
import { nsRunOk } from '../../src/testbed/netns.js';
import type { TestbedCell } from '../../src/testbed/testbed-cell.js';

/**
 * What the old module (firewall_manager.py) does to a fresh testbed cell for the repository's
 * `state`, recorded once by scripts/record-seed.sh: every `docker` call it made, in order, and
 * what those calls left in the cell. The take-over and import tests replay it (replay-seed.ts),
 * so they need no copy of the old module.
 */

export const RECORDING_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'seed');
export const RECORDING_FILE = join(RECORDING_DIR, 'recording.json');
export const RECORDED_COREFILE = join(RECORDING_DIR, 'Corefile');

/** One `docker` call as the old module made it: its argv after `docker`, its exit code, and stdin for `exec -i`. */
export interface SeedCall {
  readonly argv: readonly string[];
  readonly exit: number;
  readonly stdin?: string;
}

/** Lines a snapshot gained and lost, per part of the cell. */
export interface CellChanges {
  readonly added: Record<SnapshotPart, string[]>;
  readonly removed: Record<SnapshotPart, string[]>;
}

export type SnapshotPart = 'iptables' | 'addresses' | 'rules' | 'routes';
type Snapshot = Record<SnapshotPart, string[]>;

/** What the recording depends on: replaying it for another state would be a lie. */
export interface SeedInput {
  readonly registry: { readonly peers: object[]; readonly links: object[] };
  readonly domain: string;
  readonly apiIp: string;
  readonly exits: readonly { readonly link: string; readonly wgIp: string | null; readonly peers: string[] }[];
}

export interface SeedRecording {
  /** The old module's commit, from its COMMIT.txt. */
  readonly recordedFrom: string;
  readonly input: SeedInput;
  readonly calls: readonly SeedCall[];
  readonly changes: CellChanges;
}

/** Where a `docker exec` of the old module lands in a testbed cell. */
export function containerNamespace(cell: TestbedCell, container: string | undefined): string | null {
  if (container === 'cell-wireguard') return cell.wg;
  if (container === 'cell-caddy') return cell.lan;
  return null;
}

export function seedInput(state: DesiredState, registry: SeedInput['registry'], apiIp: string): SeedInput {
  return {
    registry,
    domain: state.cell.domain,
    apiIp,
    exits: state.links
      .filter((l) => state.peers.some((p) => p.route_via === l.name))
      .map((l) => ({
        link: l.name,
        wgIp: l.wg_ip,
        peers: state.peers.filter((p) => p.route_via === l.name).map((p) => p.ip),
      })),
  };
}

export async function readRecording(): Promise<{ recording: SeedRecording; corefile: string }> {
  const [json, corefile] = await Promise.all([readFile(RECORDING_FILE, 'utf8'), readFile(RECORDED_COREFILE, 'utf8')]);
  return { recording: JSON.parse(json) as SeedRecording, corefile };
}

/**
 * The parts of the cell the old module touches, as lines free of counters, interface indexes
 * and dates, so two testbeds built from one state read alike.
 */
export async function snapshotCell(cell: TestbedCell): Promise<Snapshot> {
  const [save, addresses, rules, routes] = await Promise.all([
    nsRunOk(cell.wg, ['iptables-save']),
    nsRunOk(cell.lan, ['ip', '-4', '-j', 'addr', 'show', 'dev', 'eth0']),
    nsRunOk(cell.wg, ['ip', '-4', 'rule', 'show']),
    nsRunOk(cell.wg, ['ip', '-4', 'route', 'show', 'table', 'all']),
  ]);
  let table = '';
  const iptables = save.split('\n').flatMap((line) => {
    if (line.startsWith('*')) table = line.slice(1);
    if (!line.startsWith('-A ') && !line.startsWith(':')) return [];
    return [`${table} ${line.replace(/ \[\d+:\d+\]$/, '')}`];
  });
  const parsed = JSON.parse(addresses) as { addr_info?: { local?: string; prefixlen?: number }[] }[];
  return {
    iptables,
    addresses: parsed.flatMap((link) => (link.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`)),
    rules: lines(rules),
    routes: lines(routes),
  };
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim().replace(/\s+/g, ' '))
    .filter((line) => line !== '');
}

/** What `after` gained and lost against `before`, in `after`'s (and `before`'s) order. */
export function cellChanges(before: Snapshot, after: Snapshot): CellChanges {
  const parts: SnapshotPart[] = ['iptables', 'addresses', 'rules', 'routes'];
  const diff = (from: string[], to: string[]) => to.filter((line) => !from.includes(line));
  return {
    added: Object.fromEntries(parts.map((p) => [p, diff(before[p], after[p])])) as Snapshot,
    removed: Object.fromEntries(parts.map((p) => [p, diff(after[p], before[p])])) as Snapshot,
  };
}

/** A call as the tests log it: `<exit> docker <argv>`. */
export function callLine(call: SeedCall): string {
  return `${call.exit} docker ${call.argv.join(' ')}`;
}
